// callwatch's page works without this script (forms post, a running task refreshes the page).
// With it: a running task's progress is polled and shown in place, and files can be dropped.
"use strict";
(function () {
  function poll(box) {
    var id = box.getAttribute("data-task");
    fetch("/tasks/" + encodeURIComponent(id) + "/view", {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var tmp = document.createElement("div");
        tmp.innerHTML = html;
        var state = tmp.firstElementChild ? tmp.firstElementChild.getAttribute("data-state") : "failed";
        if (state === "running") {
          box.innerHTML = html;
          setTimeout(function () { poll(box); }, 700);
        } else {
          // Finished: reload, so that every figure on the page includes what the task did.
          var url = new URL(window.location.href);
          url.searchParams.set("task", id);
          window.location.replace(url.toString());
        }
      })
      .catch(function () { setTimeout(function () { poll(box); }, 2000); });
  }
  document.querySelectorAll(".task[data-state='running']").forEach(poll);
  // A chart wider than a phone opens on its latest days.
  document.querySelectorAll(".scroll.end").forEach(function (el) { el.scrollLeft = el.scrollWidth; });

  var drop = document.querySelector("form.drop");
  if (drop) {
    var input = drop.querySelector("input[type=file]");
    ["dragenter", "dragover"].forEach(function (name) {
      drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add("over"); });
    });
    ["dragleave", "drop"].forEach(function (name) {
      drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.remove("over"); });
    });
    drop.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) {
        input.files = e.dataTransfer.files;
        drop.submit();
      }
    });
  }
})();
