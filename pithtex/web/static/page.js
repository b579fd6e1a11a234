// The verify page with JavaScript: drop files on the box (or pick several), and
// each is checked on its own, its result shown as soon as it is ready. Without
// JavaScript the form posts the files and the server answers with the report page.
"use strict";
(function () {
  const form = document.getElementById("upload");
  if (!form || !window.fetch || !window.FormData || !window.DOMParser) {
    return;
  }
  const input = document.getElementById("pdf");
  const drop = document.getElementById("drop");
  const results = document.getElementById("results");
  const status = document.getElementById("status");
  const action = form.getAttribute("action");
  const maxBytes = Number(form.dataset.maxFileBytes) || Infinity;
  const parallel = 2;

  document.querySelectorAll(".js-only").forEach(function (element) {
    element.hidden = false;
  });

  function say(text) {
    status.textContent = text;
  }

  function article(tone, word, name, message) {
    const box = document.createElement("article");
    box.className = "result tone-" + tone;
    const header = document.createElement("header");
    header.className = "verdict verdict-" + tone;
    const heading = document.createElement("h2");
    const label = document.createElement("span");
    label.className = "word";
    label.textContent = word;
    const file = document.createElement("span");
    file.className = "file";
    file.textContent = name;
    heading.append(label, " ", file);
    const text = document.createElement("p");
    text.className = "headline";
    text.textContent = message;
    header.append(heading, text);
    box.append(header);
    return box;
  }

  function pending(file) {
    const box = article("neutral", "CHECKING", file.name, "Checking this file…");
    box.classList.add("pending");
    box.setAttribute("aria-busy", "true");
    return box;
  }

  function refused(file, message) {
    const box = article("bad", "REFUSED", file.name, message);
    box.classList.add("refusal");
    box.dataset.verdict = "refused";
    return box;
  }

  async function checkOne(file, holder) {
    if (file.size > maxBytes) {
      const mib = (maxBytes / 1048576).toLocaleString();
      holder.replaceWith(refused(file, "This file is larger than this page accepts (" + mib + " MiB)."));
      return "refused";
    }
    const body = new FormData();
    body.append("pdf", file, file.name);
    let html;
    try {
      const response = await fetch(action + "?fragment=1", {
        method: "POST",
        body: body,
        headers: { "Accept": "text/html" },
        credentials: "same-origin",
      });
      html = await response.text();
    } catch (error) {
      holder.replaceWith(refused(file, "The server did not answer (" + error.message + ")."));
      return "refused";
    }
    const parsed = new DOMParser().parseFromString(html, "text/html");
    const found = parsed.querySelector("article.result");
    if (!found) {
      holder.replaceWith(refused(file, "The server's answer could not be read."));
      return "refused";
    }
    const shown = document.importNode(found, true);
    holder.replaceWith(shown);
    return shown.dataset.verdict || "done";
  }

  async function checkAll(files) {
    const list = Array.from(files);
    if (!list.length) {
      return;
    }
    const anchor = results.firstChild;
    const holders = list.map(function (file) {
      const holder = pending(file);
      results.insertBefore(holder, anchor);
      return holder;
    });
    say("Checking " + list.length + (list.length === 1 ? " file…" : " files…"));
    const verdicts = new Array(list.length);
    let next = 0;
    async function worker() {
      while (next < list.length) {
        const index = next++;
        verdicts[index] = await checkOne(list[index], holders[index]);
      }
    }
    const workers = [];
    for (let i = 0; i < Math.min(parallel, list.length); i++) {
      workers.push(worker());
    }
    await Promise.all(workers);
    const counts = {};
    verdicts.forEach(function (verdict) {
      counts[verdict] = (counts[verdict] || 0) + 1;
    });
    const summary = Object.keys(counts).map(function (verdict) {
      return counts[verdict] + " " + verdict;
    });
    say("Checked " + list.length + (list.length === 1 ? " file: " : " files: ") + summary.join(", ") + ".");
  }

  form.addEventListener("submit", function (event) {
    if (!input.files.length) {
      return;
    }
    event.preventDefault();
    const files = Array.from(input.files);
    form.reset();
    checkAll(files);
  });

  ["dragenter", "dragover"].forEach(function (type) {
    drop.addEventListener(type, function (event) {
      event.preventDefault();
      drop.classList.add("over");
    });
  });
  ["dragleave", "dragend", "drop"].forEach(function (type) {
    drop.addEventListener(type, function () {
      drop.classList.remove("over");
    });
  });
  drop.addEventListener("drop", function (event) {
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files.length) {
      checkAll(event.dataTransfer.files);
    }
  });
  // a file dropped beside the box is not opened in place of the page
  window.addEventListener("dragover", function (event) {
    event.preventDefault();
  });
  window.addEventListener("drop", function (event) {
    event.preventDefault();
  });
})();
