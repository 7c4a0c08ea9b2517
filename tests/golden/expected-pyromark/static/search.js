// The search page (templates/search.html): Pagefind's own script (pagefind/pagefind.js,
// written with the index) loads the index of this page's <html lang>; this draws the
// results (headline, section, date, excerpt), the filters and the sort order, and keeps the
// words in ?q= so that a search can be bookmarked and the header's plain form lands here.

const root = document.getElementById("search");
const form = root.querySelector("form");
const input = root.querySelector("input[name=q]");
const sort = document.getElementById("search-sort");
const filters = [...root.querySelectorAll(".search-filter")];
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const words = root.dataset;

function say(text) {
  status.textContent = text;
}

let pagefind = null;
try {
  pagefind = await import(words.bundle + "pagefind.js");
  await pagefind.options({ baseUrl: words.base, excerptLength: 30 });
  await pagefind.init();
} catch (error) {
  pagefind = null;
  say(words.unavailable);
}

async function fillFilters() {
  const known = await pagefind.filters();
  for (const select of filters) {
    const values = Object.keys(known[select.dataset.filter] || {});
    values.sort((a, b) => (select.dataset.filter === "year" ? b.localeCompare(a) : a.localeCompare(b)));
    for (const value of values) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = value;
      select.append(option);
    }
    select.closest("label").hidden = values.length === 0;
  }
  root.querySelector(".search-controls").hidden = false;
}

function chosen() {
  const found = {};
  for (const select of filters) {
    if (select.value) found[select.dataset.filter] = select.value;
  }
  return found;
}

function resultItem(data) {
  const item = document.createElement("li");
  item.className = "search-result";
  const heading = document.createElement("h2");
  const link = document.createElement("a");
  link.href = data.url;
  link.textContent = data.meta.title || data.url;
  heading.append(link);
  const meta = document.createElement("p");
  meta.className = "search-meta";
  meta.textContent = [data.meta.section, data.meta.date].filter(Boolean).join(" · ");
  const excerpt = document.createElement("p");
  excerpt.className = "search-excerpt";
  excerpt.innerHTML = data.excerpt; // Pagefind's excerpt: escaped text with <mark> around the hits
  item.append(heading, meta, excerpt);
  return item;
}

let latest = 0;
async function run() {
  if (!pagefind) return;
  const query = input.value.trim();
  const url = new URL(location.href);
  if (query) url.searchParams.set("q", query);
  else url.searchParams.delete("q");
  history.replaceState(null, "", url);
  const picked = chosen();
  if (!query && Object.keys(picked).length === 0) {
    list.replaceChildren();
    say("");
    return;
  }
  const ticket = ++latest;
  say(words.searching);
  const options = { filters: picked };
  if (sort.value) options.sort = { date: sort.value };
  const search = await pagefind.search(query || null, options);
  const data = await Promise.all(search.results.slice(0, 50).map((result) => result.data()));
  if (ticket !== latest) return; // a newer search has started
  list.replaceChildren(...data.map(resultItem));
  say(data.length ? words.results.replace("{n}", search.results.length) : words.none.replace("{q}", query));
}

if (pagefind) {
  await fillFilters();
  input.value = new URLSearchParams(location.search).get("q") || "";
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(run, 200);
  });
  for (const select of [sort, ...filters]) select.addEventListener("change", run);
  run();
}
