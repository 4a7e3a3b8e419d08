// The live conversation page: listen to the server's event stream, keep the
// connections it reports, and draw each as an SVG sequence diagram.
// Every piece of data is put in the page as text (textContent), never as HTML.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const KEEP = 100;
const ROW = 30; // vertical space per message
const SERVER_X = 90;
const APP_X = 610;
const connections = new Map(); // id -> entry, in arrival order

const list = document.getElementById("conversations");
const pathFilter = document.getElementById("path-filter");
const statusFilter = document.getElementById("status-filter");
const statusLine = document.getElementById("status");
const count = document.getElementById("count");

function svg(name, attributes, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes || {})) {
    node.setAttribute(key, value);
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

function actor(x, label) {
  const group = svg("g", { class: "actor" });
  group.append(svg("rect", { x: x - 60, y: 4, width: 120, height: 24, rx: 4 }));
  group.append(svg("text", { x, y: 20, "text-anchor": "middle" }, label));
  return group;
}

function arrow(event, index) {
  const y = 52 + index * ROW;
  const toApp = event.direction === "receive";
  const [from, to] = toApp ? [SERVER_X, APP_X] : [APP_X, SERVER_X];
  const group = svg("g", { class: event.direction + (event.breach ? " breach" : "") });
  group.append(svg("title", {}, JSON.stringify(event.message, null, 2)));
  group.append(svg("line", { x1: from, y1: y, x2: to, y2: y, "stroke-width": 1.5 }));
  const head = toApp ? -8 : 8;
  group.append(svg("polyline", {
    points: `${to + head},${y - 5} ${to},${y} ${to + head},${y + 5}`,
    fill: "none",
    stroke: toApp ? "var(--receive)" : "var(--send)",
    "stroke-width": 1.5,
  }));
  group.append(svg("text", { x: (SERVER_X + APP_X) / 2, y: y - 6, "text-anchor": "middle", class: "label" },
    event.summary));
  group.append(svg("text", { x: 4, y: y + 4, class: "time" }, `${event.t.toFixed(1)} ms`));
  if (event.breach) {
    group.append(svg("text", { x: APP_X + 70, y: y + 4, class: "breach" }, "!! " + event.breach));
  }
  return group;
}

function diagram(entry) {
  const height = 60 + entry.events.length * ROW;
  const drawing = svg("svg", { viewBox: `0 0 960 ${height}`, role: "img" });
  drawing.append(svg("title", {}, `${entry.method} ${entry.path}`));
  for (const x of [SERVER_X, APP_X]) {
    drawing.append(svg("line", { x1: x, y1: 28, x2: x, y2: height, class: "lifeline" }));
  }
  drawing.append(actor(SERVER_X, "server"), actor(APP_X, "app"));
  entry.events.forEach((event, index) => drawing.append(arrow(event, index)));
  return drawing;
}

function card(entry) {
  const article = document.createElement("article");
  article.dataset.id = entry.id;
  article.className = entry.status ? `s${String(entry.status)[0]}` : "";
  if (entry.error) article.classList.add("failed");
  const title = document.createElement("h2");
  const target = entry.path + (entry.query ? "?" + entry.query : "");
  title.append(`${entry.method} ${target} `);
  const status = document.createElement("span");
  status.className = "status-code";
  status.textContent = entry.status === null ? "no answer" : String(entry.status);
  title.append(status);
  const meta = document.createElement("p");
  meta.className = "meta";
  const parts = [`#${entry.id}`, entry.kind, `${entry.events.length} messages`];
  parts.push(entry.done ? `${entry.duration_ms.toFixed(1)} ms` : "open");
  if (entry.extensions.length) parts.push("extensions: " + entry.extensions.join(", "));
  if (entry.error) parts.push("raised " + entry.error);
  meta.textContent = parts.join(" · ");
  article.append(title, meta, diagram(entry));
  return article;
}

function shown(entry) {
  const path = pathFilter.value.trim();
  if (path && !entry.path.includes(path)) return false;
  const wanted = statusFilter.value;
  if (wanted === "ws") return entry.kind === "websocket";
  if (wanted) return entry.status !== null && String(entry.status)[0] === wanted;
  return true;
}

function render() {
  const entries = [...connections.values()].reverse().filter(shown);
  list.replaceChildren(...entries.map(card));
  count.textContent = `${entries.length} shown of ${connections.size}`;
}

function receive(entry) {
  connections.delete(entry.id); // a newer state of it moves it to the front
  connections.set(entry.id, entry);
  while (connections.size > KEEP) connections.delete(connections.keys().next().value);
  render();
}

const source = new EventSource("events");
source.onopen = () => {
  statusLine.textContent = "live";
  statusLine.className = "status live";
};
source.onerror = () => {
  statusLine.textContent = "connection lost, retrying…";
  statusLine.className = "status lost";
};
source.onmessage = (message) => receive(JSON.parse(message.data));
pathFilter.addEventListener("input", render);
statusFilter.addEventListener("change", render);
document.getElementById("filters").addEventListener("submit", (event) => event.preventDefault());
