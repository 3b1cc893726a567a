// Keeps the server-rendered pages live from the REST API, and sends the actions. Plain
// JavaScript, no build step.
(function () {
  "use strict";
  const body = document.body;
  const page = body.dataset.page;
  const job = body.dataset.job;

  function set(id, text) {
    const el = document.getElementById(id);
    if (el && el.textContent !== String(text)) {
      el.textContent = text;
    }
  }

  function seconds(ms) {
    return (ms / 1000).toFixed(1) + " s";
  }

  function esc(value) {
    return String(value).replace(/[&<>"']/g, (c) => ({
      "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"
    })[c]);
  }

  // Mirrors JobViews.bytesText.
  function bytesText(bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1048576) return (bytes / 1024).toFixed(1) + " KB";
    return (bytes / 1048576).toFixed(1) + " MB";
  }

  // Mirrors JobViews.stateText: -1 is what a backend cannot tell.
  function stateText(state) {
    if (!state) {
      return "";
    }
    const parts = [];
    if (state.keys >= 0) parts.push(state.keys + " keys");
    if (state.bytes >= 0) parts.push("≈ " + bytesText(state.bytes));
    if (state.entries >= 0) parts.push("≈ " + state.entries + " entries");
    if (state.timers >= 0) parts.push(state.timers + " timers");
    return parts.join(" · ");
  }

  async function get(path) {
    const response = await fetch(path, { cache: "no-store" });
    if (!response.ok) {
      throw new Error(path + ": " + response.status);
    }
    return response.json();
  }

  function showState(state) {
    const el = document.getElementById("state");
    if (el) {
      el.textContent = state;
      el.className = "state " + state;
    }
    const ended = state !== "RUNNING";
    document.querySelectorAll(".actions button").forEach((b) => { b.disabled = ended; });
  }

  async function refreshJobs() {
    const jobs = await get("/api/v1/jobs");
    const rows = jobs.map((j) =>
      '<tr class="job" data-job="' + esc(j.id) + '"><td><a href="/jobs/' + esc(j.id) + '">' +
      esc(j.name) + "</a></td><td>" + esc(j.id) + "</td><td>" + esc(j.sdk) + "</td><td>" +
      esc(j.environment) + '</td><td><span class="state ' + esc(j.state) + '">' + esc(j.state) +
      "</span></td><td>" + new Date(j.startedAtMillis).toISOString() + "</td><td>" +
      seconds(j.durationMillis) + '</td><td class="num">' + j.recordsRead + "</td></tr>");
    document.getElementById("jobs").innerHTML = rows.join("");
    const none = document.getElementById("no-jobs");
    if (none) {
      none.hidden = jobs.length > 0;
    }
  }

  async function refreshJob() {
    const detail = await get("/api/v1/jobs/" + encodeURIComponent(job));
    showState(detail.job.state);
    set("duration", seconds(detail.job.durationMillis));
    set("records-read", detail.job.recordsRead);
    for (const v of detail.vertices) {
      const id = "v" + v.id;
      set(id + "-in", "in " + v.recordsIn);
      set(id + "-out", "out " + v.recordsOut);
      set(id + "-rate", Math.round(v.recordsInPerSecond) + " /s");
      set(id + "-wm", "wm " + v.outputWatermarkText);
      set(id + "-fill", "queue " + Math.round(v.queueFill * 100) + "%");
      const node = document.getElementById("node-" + id);
      if (node) {
        node.classList.toggle("done", v.done);
      }
      const row = "row-" + id;
      set(row + "-in", v.recordsIn);
      set(row + "-out", v.recordsOut);
      set(row + "-rate", Math.round(v.recordsInPerSecond));
      set(row + "-fill", Math.round(v.queueFill * 100) + "%");
      set(row + "-inwm", v.inputWatermarkText);
      set(row + "-outwm", v.outputWatermarkText);
      set(row + "-lag", v.watermarkLagMillis === null ? "" : seconds(v.watermarkLagMillis));
      set(row + "-held", v.watermarkHeldBy || "");
      set(row + "-since", v.watermarkHeldSinceMillis ? new Date(v.watermarkHeldSinceMillis).toISOString() : "");
      set(row + "-state", stateText(v.state));
      const subtasks = document.getElementById(row + "-subtasks");
      if (subtasks) {
        subtasks.innerHTML = v.subtasks.map((s) =>
          "<tr><td>" + s.subtask + '</td><td class="num">' + s.recordsIn + '</td><td class="num">' +
          s.recordsOut + '</td><td class="num">' + Math.round(s.recordsInPerSecond) +
          '</td><td class="num">' + s.queued + "/" + s.queueCapacity + "</td><td>" +
          esc(s.outputWatermarkText) + "</td><td>" + esc(s.watermarkHeldBy || "") + "</td></tr>"
        ).join("");
      }
    }
  }

  async function refreshCheckpoints() {
    const detail = await get("/api/v1/jobs/" + encodeURIComponent(job));
    showState(detail.job.state);
    set("duration", seconds(detail.job.durationMillis));
    set("completed", detail.checkpoints.completed);
    const tbody = document.getElementById("checkpoints");
    if (tbody) {
      tbody.innerHTML = detail.checkpoints.history.slice().reverse().map((c) =>
        "<tr><td>" + c.id + "</td><td>" + esc(c.trigger) + "</td><td>" +
        new Date(c.startedAtMillis).toISOString() + '</td><td class="num">' + c.durationMillis +
        ' ms</td><td class="num">' + c.alignmentMillis + ' ms</td><td class="num">' +
        (c.bytes / 1024).toFixed(1) + " KB</td><td>" + esc(c.status) + "</td></tr>").join("");
    }
  }

  async function refreshMetrics() {
    const detail = await get("/api/v1/jobs/" + encodeURIComponent(job));
    showState(detail.job.state);
    const metrics = await get("/api/v1/jobs/" + encodeURIComponent(job) + "/metrics");
    const show = (v) => (v === null || v === undefined) ? "" :
      (typeof v === "object" ? JSON.stringify(v) : String(v));
    document.getElementById("metrics").innerHTML = metrics.map((m) =>
      "<tr><td>" + esc(m.step) + "</td><td>" + esc(m.namespace) + "</td><td>" + esc(m.name) +
      "</td><td>" + esc(m.kind) + '</td><td class="num">' + esc(show(m.attempted)) +
      '</td><td class="num">' + esc(show(m.committed)) + "</td></tr>").join("");
  }

  async function refreshHeader() {
    const detail = await get("/api/v1/jobs/" + encodeURIComponent(job));
    showState(detail.job.state);
    set("duration", seconds(detail.job.durationMillis));
  }

  const refreshers = {
    jobs: refreshJobs,
    job: refreshJob,
    checkpoints: refreshCheckpoints,
    metrics: refreshMetrics,
    errors: refreshHeader,
    explain: refreshHeader
  };

  document.querySelectorAll(".actions button").forEach((button) => {
    button.addEventListener("click", async () => {
      const action = button.dataset.action;
      const result = document.getElementById("action-result");
      result.textContent = action + "…";
      const response = await fetch(
        "/api/v1/jobs/" + encodeURIComponent(job) + "/" + action,
        { method: "POST", headers: { "X-Requested-By": "millrace" } });
      const answer = await response.json();
      result.textContent = response.ok
        ? action + (answer.checkpoint ? " " + answer.checkpoint : "") + " accepted"
        : answer.error;
    });
  });

  const refresh = refreshers[page];
  if (refresh) {
    let running = false;
    setInterval(async () => {
      if (running) {
        return;
      }
      running = true;
      try {
        await refresh();
      } catch (e) {
        console.warn(e);
      } finally {
        running = false;
      }
    }, 1000);
  }
})();
