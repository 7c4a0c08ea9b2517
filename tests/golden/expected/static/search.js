// The search page (templates/search.html): Pagefind's own script, from the newest shard of
// this language's index (pagefind/<lang>/<period>/pagefind.js, written with the index),
// loads that shard and merges the others; this draws the results (headline, section,
// date, excerpt), the filters and the sort order, and keeps the words in ?q= so that a
// search can be bookmarked and the header's plain form lands here.

import { shardMonths } from "./search-shards.js";

const root = document.getElementById("search");
const form = root.querySelector("form");
const input = root.querySelector("input[name=q]");
const sort = document.getElementById("search-sort");
const filters = [...root.querySelectorAll(".search-filter")];
const status = document.getElementById("search-status");
const list = document.getElementById("search-results");
const words = root.dataset;
const shards = words.shards.split(" ").filter(Boolean); // oldest first
const SHOWN = 50;

function say(text) {
  status.textContent = text;
}

let pagefind = null;
try {
  if (shards.length === 0) throw new Error("no index");
  const newest = shards[shards.length - 1];
  pagefind = await import(words.bundle + newest + "/pagefind.js");
  await pagefind.options({ baseUrl: words.base, excerptLength: 30 });
  await pagefind.init();
  const others = shards.slice(0, -1).map((key) => words.bundle + key + "/");
  await Promise.all(others.map((path) => pagefind.mergeIndex(path, { baseUrl: words.base })));
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
  const search = await pagefind.search(query || null, { filters: picked });
  let shown = search.results;
  if (sort.value && search.results.length) {
    shown = await inDateOrder(query, picked, search.filters.month || {}, sort.value);
  }
  const data = await Promise.all(shown.slice(0, SHOWN).map((result) => result.data()));
  if (ticket !== latest) return; // a newer search has started
  list.replaceChildren(...data.map(resultItem));
  say(data.length ? words.results.replace("{n}", search.results.length) : words.none.replace("{q}", query));
}

// Pagefind orders the results of merged shards by score, and for a date sort the score is
// a rank within one shard: so ask the shards one at a time, in date order, until enough
// results are found. A shard is a year (2017) or a part of one (2017-h1, 2017-q3, 2017-05);
// every article carries its month as a filter, which picks out one shard's articles
// (shardMonths, in search-shards.js).
async function inDateOrder(query, picked, counts, direction) {
  const keys = direction === "desc" ? [...shards].reverse() : shards;
  const found = [];
  for (const key of keys) {
    const months = shardMonths(key).filter((month) => counts[month] > 0);
    if (months.length === 0) continue;
    const options = { filters: { ...picked, month: { any: months } }, sort: { date: direction } };
    const part = await pagefind.search(query || null, options);
    found.push(...part.results);
    if (found.length >= SHOWN) break;
  }
  return found;
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
