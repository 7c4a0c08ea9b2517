// The months of one shard of the search index (see masthead/search.py): a year "2017", a
// half "2017-h1", a quarter "2017-q3" or a month "2017-05". Every article page carries its
// month as a filter, so these months pick out the shard's articles. A module of its own so
// that it can be tested without a page.
export function shardMonths(key) {
  const [year, part] = key.split("-");
  const months = Array.from({ length: 12 }, (_, i) => `${year}-${String(i + 1).padStart(2, "0")}`);
  if (!part) return months;
  if (/^\d+$/.test(part)) return [`${year}-${part}`];
  const size = part[0] === "h" ? 6 : 3;
  const start = (Number(part.slice(1)) - 1) * size;
  return months.slice(start, start + size);
}
