// The docs site's only script: search over page titles, headings, error
// codes and the names in the prose's inline code (the index is embedded in
// the page), and a copy button on every code block.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const index = JSON.parse(document.getElementById("search-index").textContent);
  const input = document.getElementById("search");
  const list = document.getElementById("search-results");

  input.addEventListener("input", () => {
    const q = input.value.trim().toLowerCase();
    list.replaceChildren();
    if (q === "") {
      list.hidden = true;
      return;
    }
    // Pages first, then titles that begin with the query, then other title
    // matches, then entries whose page alone matches; each in index order.
    const rank = (e) => {
      const t = e.title.toLowerCase();
      if (!t.includes(q)) return 3;
      return e.title === e.page ? 0 : t.startsWith(q) ? 1 : 2;
    };
    const hits = index
      .filter((e) => e.title.toLowerCase().includes(q) || e.page.toLowerCase().includes(q))
      .sort((a, b) => rank(a) - rank(b))
      .slice(0, 12);
    for (const hit of hits) {
      const li = document.createElement("li");
      const a = document.createElement("a");
      a.href = hit.url;
      a.textContent = hit.title;
      if (hit.title !== hit.page) {
        const page = document.createElement("span");
        page.className = "page";
        page.textContent = hit.page;
        a.append(" ", page);
      }
      li.append(a);
      list.append(li);
    }
    if (hits.length === 0) {
      const li = document.createElement("li");
      li.className = "none";
      li.textContent = "No matches";
      list.append(li);
    }
    list.hidden = false;
  });
  list.addEventListener("click", (ev) => {
    if (ev.target.closest("a")) list.hidden = true;
  });
  input.addEventListener("keydown", (ev) => {
    if (ev.key === "Escape") {
      input.value = "";
      input.dispatchEvent(new Event("input"));
    } else if (ev.key === "Enter") {
      const first = list.querySelector("a");
      if (first) {
        // Closed first: a result on this page only scrolls, and the open
        // list would cover it.
        list.hidden = true;
        window.location.href = first.href;
      }
    }
  });

  for (const block of document.querySelectorAll(".code")) {
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy";
    button.textContent = "Copy";
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(block.querySelector("pre").innerText);
        button.textContent = "Copied";
      } catch {
        button.textContent = "Select and copy";
      }
      setTimeout(() => (button.textContent = "Copy"), 1500);
    });
    block.querySelector(".code-head").append(button);
  }
});
