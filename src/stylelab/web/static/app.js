// Style Lab web experiment: views, API calls and live job updates. No dependencies.
import { BRUSHES, BrushOutline, Painter, hexColour } from "/static/paint.js";

const $ = (selector, root = document) => root.querySelector(selector);
const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

// Replace the children of `element`, skipping null, undefined and false.
function setChildren(element, ...children) {
  element.replaceChildren(...children.flat().filter((child) => child !== null && child !== undefined && child !== false));
}

// Build an element; children may be strings (inserted as text, never as HTML).
function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) element.addEventListener(name.slice(2), value);
    else if (name === "dataset") Object.assign(element.dataset, value);
    else element.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

const UNREACHABLE = "the Style Lab server cannot be reached; is it still running?";

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, options);
  } catch (error) {
    throw new ApiError(0, UNREACHABLE);
  }
  hideErrorAbout(UNREACHABLE); // it is back
  let body = null;
  try {
    body = await response.json();
  } catch (error) {
    body = null;
  }
  if (!response.ok) throw new ApiError(response.status, (body && body.detail) || response.statusText);
  return body;
}

const postJSON = (path, body) => api(path, {
  method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body ?? {}),
});

// Say something to screen readers (a polite live region): a job finished, grades arrived, a new pick.
function announce(text) {
  $("#announce").textContent = text;
}

function showError(message) {
  $("#error-text").textContent = message;
  $("#error").hidden = false;
  fitCanvas(); // the banner takes room above the canvas
}

function hideError() {
  $("#error").hidden = true;
  fitCanvas();
}

// Dismissed with its button: the focus, on that button now hidden, goes back to where it was before
// (the control that failed, mostly), else to the view's heading, never to the page's <body>.
function dismissError() {
  hideError();
  const back = app.focusBeforeError;
  const usable = back && back.isConnected && !back.disabled && back.checkVisibility();
  (usable ? back : $(".view:not([hidden]) h1")).focus();
}

// Hide the banner if it still says what ``opening`` begins (a trouble that is over), not another one.
function hideErrorAbout(opening) {
  if ($("#error-text").textContent.startsWith(opening)) hideError();
}

// The time left as the progress line says it: "under a second left", "about 1 min 20 s left",
// "about 1 h 15 min left" ("" when not known yet). Exported for the tests.
export function formatEta(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "";
  if (seconds < 1) return "under a second left";
  seconds = Math.round(seconds);
  if (seconds < 60) return `about ${seconds} s left`;
  if (seconds < 3600) {
    const rest = seconds % 60 ? ` ${seconds % 60} s` : "";
    return `about ${Math.floor(seconds / 60)} min${rest} left`;
  }
  const minutes = Math.round(seconds / 60);
  const rest = minutes % 60 ? ` ${minutes % 60} min` : "";
  return `about ${Math.floor(minutes / 60)} h${rest} left`;
}

function formatNumber(value) {
  if (!isFinite(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e5 || magnitude < 1e-3)) return value.toExponential(2);
  return value.toFixed(magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 3);
}

const app = {
  config: null,
  gallery: null,
  pick: { photo: null, painting: null },
  uploading: { photo: null, painting: null }, // the upload each role waits for, if any (see uploadAndChoose)
  experiment: null,
  painter: null,
  outline: null, // the brush outline under the pointer (see BrushOutline)
  draft: { queue: Promise.resolve(), pending: false, versions: {} }, // versions: the last loaded or saved, per experiment
  events: null,
  followed: null, // { experiment, onEvent } while following one, also while its stream waits for the tab to show
  following: 0, // counts closeEvents calls, so that late callbacks know they are stale
  historyOffset: 0,
  historyReturn: null, // { count, id } of the card opened from the History, for Back (see showHistory)
  historyTimer: null, // the next refresh of the history while an experiment on it runs
  watchTimer: null, // the next look whether the shown experiment runs again (see watchForRestart)
  retryTimer: null, // the next try to show a view the server could not be reached for
  deleted: new Set(), // experiments deleted from this page
  tools: null, // brush, colour and per-brush size/opacity (see loadTools)
  picking: false, // the colour picker is on: the next click takes a colour (see setupPicker)
  altHeld: false, // Alt is down: a click takes a colour, as in painting apps
  focusBeforeError: null, // the last control focused outside the error banner (see dismissError)
};

// ----------------------------------------------------------------------------------- routing

const EXPERIMENT_ID = /^[0-9a-f]{16}$/;
const WATCH_MS = 3000; // how often a page whose experiment has nothing running asks whether that changed
const RETRY_MS = 3000; // how often a view (or a canvas save) that could not reach the server tries again
const NOT_SAVED = "Your drawing could not be saved";

// Show the view named by the location. `reload`: the same view again after an action (cancel,
// re-run), keeping the scroll position and the history's pages.
function route({ reload = false } = {}) {
  const [, view = "", id = ""] = location.hash.split("/");
  flushDraft();
  closeEvents();
  hideError();
  for (const section of $$(".view")) section.hidden = true;
  for (const link of $$("[data-nav]")) link.classList.toggle("current", link.dataset.nav === (view || "start"));
  const show = (name) => {
    $(`#view-${name}`).hidden = false;
    // a new view is announced by its heading, and Tab goes on from there
    if (!reload) $(`#view-${name} h1`).focus({ preventScroll: true });
  };
  if (!reload) window.scrollTo(0, 0); // a new view starts at its top (on a phone the button was far down)
  if ((view === "lab" || view === "results") && !EXPERIMENT_ID.test(id)) {
    showMissing();
    return;
  }
  const handlers = {
    "": () => { show("start"); return showStart(); },
    lab: () => { show("lab"); return showLab(id); },
    results: () => { show("results"); return showResults(id); },
    history: () => { show("history"); return showHistory(reload ? "refresh" : "first"); },
  };
  const where = location.hash;
  Promise.resolve()
    .then(handlers[view] || handlers[""])
    .catch((error) => {
      const unknown = (view === "lab" || view === "results") && [404, 422].includes(error.status);
      if (unknown) showMissing();
      else showError(error.message);
      if (error.status === 0) { // the server is down: show this view once it is back
        app.retryTimer = setTimeout(() => { if (location.hash === where) route({ reload: true }); }, RETRY_MS);
      }
    });
}

// A link to an experiment that is not there (deleted, mistyped): say so instead of an empty lab.
function showMissing() {
  app.experiment = null;
  for (const section of $$(".view")) section.hidden = true;
  $("#view-missing").hidden = false;
}

function closeEvents() {
  if (app.events) app.events.close();
  app.events = null;
  app.followed = null;
  app.following += 1; // a watch already waiting for the server belongs to what was followed before
  clearTimeout(app.historyTimer);
  clearTimeout(app.watchTimer);
  clearTimeout(app.retryTimer);
}

// Follow an experiment by Server-Sent Events until the server says nothing is left to run; then look
// now and then whether something runs again (a re-run from another tab) and follow that too.
function followEvents(experiment, onEvent) {
  closeEvents();
  app.followed = { experiment, onEvent };
  if (!tabHidden()) openEvents(experiment, onEvent); // else once the tab is shown
}

const tabHidden = () => document.visibilityState === "hidden";

// Chromium allows six connections per host: six tabs each holding an event stream stalled the canvas
// saves, and a seventh tab could not load. A hidden tab gives its stream back; shown again, it opens a
// new one, whose first event (a snapshot) brings the view up to date.
function pauseEventsWhileHidden() {
  if (!app.followed) return;
  if (tabHidden() && app.events) {
    app.events.close();
    app.events = null;
  } else if (!tabHidden() && !app.events) {
    openEvents(app.followed.experiment, app.followed.onEvent);
  }
}

function openEvents(experiment, onEvent) {
  const source = new EventSource(experiment.events_url);
  app.events = source;
  // The browser reconnects on its own; meanwhile say why nothing moves if the server is gone.
  source.onerror = () => {
    api("/api/health").catch((error) => { if (error.status === 0 && app.events === source) showError(UNREACHABLE); });
  };
  source.onopen = () => hideErrorAbout(UNREACHABLE);
  source.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "end") {
      source.close();
      if (app.events === source) {
        app.events = null;
        app.followed = null;
        watchForRestart(experiment.id, onEvent);
      }
    }
    onEvent(event);
  };
}

function watchForRestart(id, onEvent) {
  clearTimeout(app.watchTimer);
  const following = app.following;
  const current = () => following === app.following && app.experiment && app.experiment.id === id;
  app.watchTimer = setTimeout(async () => {
    if (!current()) return; // left, or following something again
    try {
      const experiment = await api(`/api/experiments/${id}`);
      if (!current()) return;
      if (experiment.active || Boolean(experiment.drawing) !== Boolean(app.experiment.drawing)) {
        onEvent({ type: "snapshot", experiment }); // runs again, or was finished in another tab
      }
      if (experiment.active) {
        followEvents(experiment, onEvent);
        return;
      }
    } catch (error) {
      if (error.status === 404 && current()) { // deleted in another tab
        showMissing();
        return;
      }
      // else the server may be restarting: keep looking
    }
    if (current()) watchForRestart(id, onEvent);
  }, WATCH_MS);
}

// ----------------------------------------------------------------------------------- start

async function showStart() {
  if (!app.gallery) {
    app.gallery = await api("/api/gallery");
    renderGallery("photo", app.gallery.photos);
    renderGallery("painting", app.gallery.paintings);
  }
  const sizeInput = $("#gatys-size");
  const iterationsInput = $("#gatys-iterations");
  if (!sizeInput.value) {
    const c = app.config;
    Object.assign(sizeInput, { value: c.gatys_size, min: c.gatys_min_size, max: c.gatys_max_size, step: 1 });
    Object.assign(iterationsInput, { value: c.gatys_iterations, min: 1, max: c.gatys_max_iterations, step: 1 });
    $("#gatys-hint").textContent = `Up to ${c.gatys_max_size} px and ${c.gatys_max_iterations} iterations. ` +
      "Larger and longer looks better but takes longer on a CPU.";
  }
  renderPick();
}

function renderGallery(role, items) {
  const container = $(`[data-gallery="${role}"]`);
  container.replaceChildren(...items.map((item) => h("button", {
    type: "button", class: "thumb", title: item.label, dataset: { ref: item.ref },
    onclick: () => choose(role, { ref: item.ref, url: item.url, label: item.label }),
  }, h("img", { src: item.url, alt: item.label, loading: "lazy" }))));
}

function choose(role, picked) {
  app.pick[role] = picked;
  app.uploading[role] = null; // a later choice wins over an upload still on its way
  $(`[data-message="${role}"]`).textContent = "";
  renderPick();
}

// An upload is chosen when it arrives only if nothing else was chosen meanwhile; Start waits for it.
async function uploadAndChoose(role, file) {
  const token = {};
  app.uploading[role] = token;
  renderPick();
  try {
    const image = await uploadFile(file, role);
    if (app.uploading[role] === token) choose(role, { ref: image.id, url: image.url, label: image.label });
  } finally {
    if (app.uploading[role] === token) app.uploading[role] = null;
    renderPick();
  }
}

function renderPick() {
  for (const role of ["photo", "painting"]) {
    const picked = app.pick[role];
    const chosen = $(`[data-chosen="${role}"]`);
    chosen.replaceChildren(picked
      ? h("figure", {}, h("img", { src: picked.url, alt: picked.label }), h("figcaption", {}, picked.label))
      : h("span", { class: "placeholder" }, `No ${role} chosen`));
    for (const thumb of $$(`[data-gallery="${role}"] .thumb`)) {
      const selected = Boolean(picked) && thumb.dataset.ref === picked.ref;
      thumb.classList.toggle("selected", selected);
      thumb.setAttribute("aria-pressed", String(selected));
    }
  }
  $("#start").disabled = !(app.pick.photo && app.pick.painting) || Boolean(app.uploading.photo || app.uploading.painting);
}

async function uploadFile(file, role) {
  const limit = app.config.max_upload_bytes;
  if (file.size > limit) {
    throw new ApiError(413, `${file.name}: the file is ${(file.size / 1048576).toFixed(1)} MB; ` +
      `the limit is ${(limit / 1048576).toFixed(0)} MB`);
  }
  const query = new URLSearchParams({ role, name: file.name || role });
  return api(`/api/uploads?${query}`, {
    method: "POST", headers: { "Content-Type": "application/octet-stream" }, body: file,
  });
}

function setupDropzone(role, onFile) {
  const zone = $(`[data-drop="${role}"]`);
  const input = $(`[data-file="${role}"]`);
  const message = $(`[data-message="${role}"]`);
  const accept = async (file) => {
    if (!file) return;
    message.textContent = `Checking ${file.name}…`;
    message.classList.remove("bad");
    try {
      await onFile(file);
      message.textContent = "";
    } catch (error) {
      message.textContent = error.message;
      message.classList.add("bad");
    }
  };
  input.addEventListener("change", () => { accept(input.files[0]); input.value = ""; });
  // the chosen picture's box takes a dropped file too: it is the bigger target
  for (const target of [zone, $(`[data-chosen="${role}"]`)].filter(Boolean)) {
    target.addEventListener("dragover", (event) => { event.preventDefault(); zone.classList.add("over"); });
    target.addEventListener("dragleave", () => zone.classList.remove("over"));
    target.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("over");
      accept(event.dataTransfer.files[0]);
    });
  }
}

async function surprise() {
  const pick = await api("/api/gallery/random");
  choose("photo", { ref: pick.photo.ref, url: pick.photo.url, label: pick.photo.label });
  choose("painting", { ref: pick.painting.ref, url: pick.painting.url, label: pick.painting.label });
  announce(`Photo: ${pick.photo.label}. Painting: ${pick.painting.label}.`);
}

// The settings' own limits are checked by the browser before anything is sent; empty means the default.
function gatysSettings() {
  const inputs = [$("#gatys-size"), $("#gatys-iterations")];
  const invalid = inputs.find((input) => !input.checkValidity());
  if (invalid) {
    $("#view-start details.settings").open = true;
    invalid.reportValidity();
    return null;
  }
  const [size, iterations] = inputs.map((input) => (input.value === "" ? null : Number(input.value)));
  return { gatys_size: size, gatys_iterations: iterations };
}

// The settings' inputs by the API field names that the server's messages begin with.
const SETTING_INPUTS = { gatys_size: "#gatys-size", gatys_iterations: "#gatys-iterations" };

// A message about a setting ("gatys_size: …") in the form's words ("Size (px): …"), with its field opened
// and focused; false if the message is about something else.
function showSettingError(message) {
  const [field, ...rest] = message.split(": ");
  const input = SETTING_INPUTS[field] && $(SETTING_INPUTS[field]);
  if (!input || !rest.length) return false;
  const label = input.closest("label").firstChild.textContent.trim();
  showError(`${label}: ${rest.join(": ")}`);
  $("#view-start details.settings").open = true;
  input.focus();
  return true;
}

async function start() {
  const settings = gatysSettings();
  if (!settings) return;
  const button = $("#start");
  button.disabled = true;
  try {
    const experiment = await postJSON("/api/experiments", {
      photo: app.pick.photo.ref, painting: app.pick.painting.ref, ...settings,
    });
    location.hash = `#/lab/${experiment.id}`;
  } catch (error) {
    if (error.status !== 422 || !showSettingError(error.message)) throw error;
  } finally {
    renderPick(); // enables Start again if there is something to start
  }
}

// ----------------------------------------------------------------------------------- lab

async function showLab(id) {
  const experiment = await api(`/api/experiments/${id}`);
  if (experiment.drawing) {
    location.replace(`#/results/${id}`); // finished: Back then leaves the results, not to the lab and back
    return;
  }
  const firstVisit = !app.experiment || app.experiment.id !== id;
  app.experiment = experiment;
  $("#lab-photo").src = experiment.photo.thumb_url;
  $("#lab-painting").src = experiment.painting.url;
  $("#underlay").src = experiment.photo.url;
  if (firstVisit) {
    const scale = app.config.canvas_long_side / Math.max(experiment.photo.width, experiment.photo.height);
    app.painter.resize(Math.round(experiment.photo.width * scale), Math.round(experiment.photo.height * scale));
    loadPalette(experiment)
      .then(fitCanvas) // the swatches may have made the toolbar taller
      .catch((error) => showError(`The painting's colours could not be loaded: ${error.message}`));
    showDraftState("none", "");
    restoreDraft(experiment.id)
      .catch((error) => showError(`Your saved drawing could not be loaded: ${error.message}`));
  }
  fitCanvas(); // also when the window changed while another view was shown
  renderJobs(experiment.jobs);
  followEvents(experiment, onLabEvent);
}

// The whole canvas stays on screen, undistorted: as wide as its column allows and no taller than the
// window below the toolbar (but at least 240 px, so a short window still gets a usable canvas).
function fitCanvas() {
  const experiment = app.experiment;
  if (!experiment || $("#view-lab").hidden) return;
  const wrap = $("#canvas-wrap");
  const { width, height } = experiment.photo;
  const top = wrap.getBoundingClientRect().top + window.scrollY;
  const room = Math.max(240, window.innerHeight - top - 16);
  wrap.style.aspectRatio = `${width} / ${height}`;
  wrap.style.width = `min(100%, ${Math.floor((room * width) / height)}px)`;
}

// The canvas goes to the server after every change (one upload at a time; edits made during one are
// sent by the next), so a reload or a closed tab loses nothing.
function showDraftState(state, text) {
  const status = $("#draft-status");
  status.dataset.state = state;
  status.textContent = text;
}

// Uploads run one after another. At most one waits to start: it reads the canvas when its turn
// comes, so a burst of strokes is one upload. Before the canvas changes hands (another view, another
// experiment), flushDraft takes the waiting upload's picture at once, with its experiment's id.
function saveDraft() {
  if (app.draft.pending) return;
  app.draft.pending = true;
  const id = app.experiment.id;
  showDraftState("saving", "Saving…");
  queueDraftUpload(id, () => {
    app.draft.pending = false;
    return app.experiment && app.experiment.id === id ? app.painter.layerBlob() : null; // else flushed
  });
}

function flushDraft() {
  if (!app.draft.pending || !app.experiment) return;
  app.draft.pending = false;
  const snapshot = app.painter.layerBlob(); // the canvas as it is now, before it is reused
  queueDraftUpload(app.experiment.id, () => snapshot);
}

function queueDraftUpload(id, takeBlob) {
  const upload = async () => {
    const blob = await takeBlob();
    if (!blob) return "nothing";
    const headers = { "Content-Type": "image/png" };
    const base = app.draft.versions[id];
    if (base !== undefined) headers["X-Draft-Base"] = base; // refused if another tab saved since
    let response;
    try {
      response = await fetch(`/api/experiments/${id}/draft`, { method: "PUT", body: blob, headers });
    } catch (error) {
      throw new ApiError(0, UNREACHABLE);
    }
    if (response.ok) {
      app.draft.versions[id] = response.headers.get("X-Draft-Version");
      return "saved";
    }
    if (response.status === 409) return "finished"; // in another tab or window: that drawing is kept
    if (response.status === 412) return "changed"; // another tab saved first: its strokes are kept
    const body = await response.json().catch(() => null);
    throw new ApiError(response.status, (body && body.detail) || response.statusText);
  };
  const here = () => app.experiment && app.experiment.id === id && !$("#view-lab").hidden;
  app.draft.queue = app.draft.queue.then(upload).then(
    (outcome) => {
      if (outcome === "finished" && here()) {
        showDraftState("failed", "Not saved");
        showError("This experiment was finished in another tab or window, so this canvas is no longer "
          + "saved. Its results are in the History.");
      } else if (outcome === "changed" && here()) {
        showDraftState("failed", "Not saved");
        showError("This drawing was changed in another tab or window, and that version is kept. Reload "
          + "the page to go on from it (strokes made here since it was saved are not kept).");
      } else if (here() && !app.draft.pending) {
        showDraftState("saved", "Saved");
        hideErrorAbout(NOT_SAVED); // a retry got through
      }
    },
    (error) => {
      if (here()) showDraftState("failed", "Not saved");
      const unreachable = error.status === 0; // the server is down: try again, with the canvas as it is then
      showError(`${NOT_SAVED}: ${error.message}${unreachable ? " It is sent again once the server answers." : ""}`);
      if (unreachable) setTimeout(() => { if (here()) saveDraft(); }, RETRY_MS);
    });
}

async function restoreDraft(id) {
  const response = await fetch(`/api/experiments/${id}/draft`, { cache: "no-store" });
  if (response.ok) app.draft.versions[id] = response.headers.get("X-Draft-Version");
  if (response.status === 204) return; // nothing painted yet
  if (!response.ok) throw new ApiError(response.status, response.statusText);
  const image = await createImageBitmap(await response.blob());
  if (!app.experiment || app.experiment.id !== id) return;
  app.painter.loadLayer(image);
  if (!app.draft.pending) showDraftState("saved", "Restored");
}

function onLabEvent(event) {
  if ((event.type === "snapshot" || event.type === "experiment") && event.experiment.drawing) {
    location.replace(`#/results/${event.experiment.id}`); // finished in another tab or window
    return;
  }
  if (event.type === "snapshot" || event.type === "experiment") {
    app.experiment = event.experiment;
    renderJobs(event.experiment.jobs);
  } else if (event.type === "jobs") {
    app.experiment.jobs = event.jobs;
    renderJobs(event.jobs);
  } else if (event.type === "progress") {
    renderProgress(event);
  }
}

async function loadPalette(experiment) {
  const { colors } = await api(experiment.palette_url);
  $("#palette").replaceChildren(...colors.map((colour) => h("button", {
    type: "button", class: "swatch", title: colour, style: `background:${colour}`,
    "aria-label": `Paint colour ${colour}`,
    onclick: () => setColour(colour),
  })));
}

function setColour(colour) {
  app.painter.colour = colour;
  $("#brush-colour").value = colour;
  app.tools.colour = colour;
  saveTools();
}

const JOB_TITLES = { fast: "Fast method", gatys: "Gatys method" };
const STATE_TEXT = {
  queued: "Waiting", running: "Running", done: "Done", failed: "Failed", cancelled: "Cancelled",
  interrupted: "Interrupted by a server restart",
};

function renderJobs(jobs) {
  const focused = focusedJob($("#view-lab .side"));
  for (const kind of ["fast", "gatys"]) {
    const job = jobs[kind];
    const card = $(`#job-${kind}`);
    if (!job) {
      card.replaceChildren();
      continue;
    }
    if (card.dataset.state && card.dataset.state !== job.state) announce(jobChangeText(kind, job));
    card.dataset.state = job.state;
    const status = job.state !== "queued" || !job.queue_position ? STATE_TEXT[job.state]
      : job.queue_position === 1 ? "Next in line" : `Waiting: ${job.queue_position - 1} ahead in the queue`;
    const picture = job.result ? h("img", { class: "result", src: job.result.url, alt: `${JOB_TITLES[kind]} result` })
      : job.preview_url ? h("img", { class: "result preview", src: job.preview_url, alt: `${JOB_TITLES[kind]} preview` })
      : h("div", { class: "result empty" }, job.state === "running" ? "Working…" : "");
    setChildren(card,
      h("div", { class: "job-head" }, h("h3", {}, JOB_TITLES[kind]),
        h("span", { class: `state ${job.state}`, "data-job-state": job.state }, status)),
      picture,
      kind === "gatys" ? progressBlock(job) : null,
      job.error ? h("p", { class: "job-error" }, job.error) : null,
      jobButtons(job),
    );
  }
  restoreJobFocus($("#view-lab .side"), focused, (kind) => $(`#job-${kind}`));
}

// The job button with the keyboard focus inside `container`, before a redraw replaces it.
function focusedJob(container) {
  const element = document.activeElement;
  if (!element || !container.contains(element) || !element.dataset.action) return null;
  return { element, kind: element.dataset.kind, action: element.dataset.action };
}

// Give the focus lost in a redraw to that job's new button: the same one, else the other (Cancel became
// Re-run), else `fallback(kind)` (its card), so that it is not lost to the page's <body>.
function restoreJobFocus(container, focused, fallback) {
  if (!focused || focused.element.isConnected) return;
  const ofJob = `[data-kind="${focused.kind}"][data-action]`;
  const target = $(`${ofJob}[data-action="${focused.action}"]`, container) || $(ofJob, container)
    || fallback(focused.kind);
  if (target) target.focus();
}

function progressBlock(job) {
  const block = h("div", { class: "progress" },
    h("progress", { max: 1, value: 0, "aria-label": `${JOB_TITLES[job.kind]}: progress` }),
    h("div", { class: "progress-text" }),
    h("div", { class: "losses" }));
  if (job.progress) fillProgress(block, job.progress, job.state);
  else if (job.state === "done") block.querySelector("progress").value = 1;
  return block;
}

function fillProgress(block, progress, state) {
  block.querySelector("progress").value = state === "done" ? 1 : progress.iteration / progress.total;
  const left = state === "running" ? formatEta(progress.eta) : "";
  const eta = left ? ` · ${left}` : "";
  block.querySelector(".progress-text").textContent =
    `Iteration ${progress.iteration} of ${progress.total} · scale ${progress.scale_index + 1} of ` +
    `${progress.scale_count} (${progress.width}×${progress.height})${eta}`;
  block.querySelector(".losses").replaceChildren(...Object.entries(progress.losses).map(([name, value]) =>
    h("span", {}, `${name} ${formatNumber(value)}`)));
}

function renderProgress(event) {
  const card = $(`#job-${event.kind}`);
  const job = app.experiment && app.experiment.jobs[event.kind];
  if (!card || !job || job.id !== event.job_id || card.dataset.state !== "running") return;
  job.progress = event.progress;
  const block = card.querySelector(".progress");
  if (block) fillProgress(block, event.progress, "running");
  if (event.preview_url) {
    let picture = card.querySelector(".result");
    if (picture.tagName !== "IMG") {
      const image = h("img", { class: "result preview", alt: `${JOB_TITLES[event.kind]} preview` });
      picture.replaceWith(image);
      picture = image;
    }
    job.preview_url = event.preview_url;
    picture.src = event.preview_url;
  }
}

function jobButtons(job) {
  const buttons = [];
  if (job.state === "queued" || job.state === "running") {
    buttons.push(h("button", { type: "button", class: "small", "data-action": "cancel", "data-kind": job.kind,
      onclick: () => jobAction(job, "cancel") }, "Cancel"));
  }
  if (["failed", "cancelled", "interrupted"].includes(job.state)) {
    buttons.push(h("button", { type: "button", class: "small", "data-action": "rerun", "data-kind": job.kind,
      onclick: () => jobAction(job, "rerun") }, "Re-run"));
  }
  return buttons.length ? h("div", { class: "job-buttons" }, buttons) : null;
}

async function jobAction(job, action) {
  try {
    await postJSON(`/api/jobs/${job.id}/${action}`);
    route({ reload: true }); // the current view again (and its event stream), where the user was
  } catch (error) {
    showError(error.message);
  }
}

async function finishWith(blobOrFile, source, name) {
  const uploaded = await uploadFile(new File([blobOrFile], name, { type: blobOrFile.type || "image/png" }),
    "drawing");
  await postJSON(`/api/experiments/${app.experiment.id}/finish`, { drawing: uploaded.id, source });
  location.replace(`#/results/${app.experiment.id}`); // the lab is over: Back goes to where it was opened from
}

async function finishCanvas() {
  const button = $("#finish");
  if (app.painter.isBlank() && !confirm("The canvas is empty. Compare anyway?")) return;
  button.disabled = true;
  try {
    await finishWith(await app.painter.toBlob(), "canvas", "drawing.png");
  } catch (error) {
    showError(error.message);
  } finally {
    button.disabled = false;
  }
}

function setupCanvas() {
  const painter = new Painter($("#paper"), $("#wet"));
  app.painter = painter;
  app.outline = new BrushOutline(painter, $("#brush-outline"));
  $("#brushes").replaceChildren(...BRUSHES.map((brush) => h("button", {
    type: "button", class: "brush", "data-brush": brush, title: brush,
    onclick: () => selectBrush(brush),
  }, h("span", { class: `icon icon-${brush}`, "aria-hidden": "true" }), brush)));
  const size = $("#brush-size");
  const opacity = $("#brush-opacity");
  app.tools = loadTools();
  size.addEventListener("input", () => changeBrushSettings({ size: Number(size.value) }));
  opacity.addEventListener("input", () => changeBrushSettings({ opacity: Number(opacity.value) }));
  $("#brush-colour").addEventListener("input", (event) => setColour(event.target.value));
  $("#undo").addEventListener("click", () => painter.undo());
  $("#redo").addEventListener("click", () => painter.redo());
  $("#clear").addEventListener("click", () => painter.clear());
  $("#underlay-toggle").addEventListener("change", (event) => { $("#underlay").hidden = !event.target.checked; });
  painter.onChange = () => {
    $("#undo").disabled = painter.undoStack.length === 0;
    $("#redo").disabled = painter.redoStack.length === 0;
  };
  painter.onChange();
  painter.onEdit = () => { saveDraft(); };
  document.addEventListener("keydown", (event) => {
    if ($("#view-lab").hidden || !(event.ctrlKey || event.metaKey)) return;
    const key = event.key.toLowerCase();
    if (key === "z" && !event.shiftKey) painter.undo();
    else if ((key === "z" && event.shiftKey) || key === "y") painter.redo();
    else return;
    event.preventDefault();
  });
  setColour(app.tools.colour);
  selectBrush(app.tools.brush);
  setupPicker();
}

// Colour picking, with the picker button (one pick, then back to the brush) or with Alt held while
// clicking, as in painting apps. On the canvas it takes the paint as the saved drawing shows it (on
// white paper; the underlay is a guide, not paint); on the photo or the painting beside the canvas,
// the picture's colour under the pointer.
function setupPicker() {
  app.painter.onPick = (x, y) => pickedColour(app.painter.colourAt(x, y));
  $("#pick-colour").addEventListener("click", () => setPicking(!app.picking));
  for (const image of [$("#lab-photo"), $("#lab-painting")]) {
    image.addEventListener("click", (event) => {
      if (!app.picking && !event.altKey) return;
      event.preventDefault();
      const colour = imageColourAt(image, event.clientX, event.clientY);
      if (colour) pickedColour(colour);
    });
  }
  const alt = (held) => {
    if (held === app.altHeld) return;
    app.altHeld = held;
    showPicking();
  };
  document.addEventListener("keydown", (event) => {
    if (event.key === "Alt") alt(true);
    else if (event.key === "Escape" && app.picking) setPicking(false);
  });
  document.addEventListener("keyup", (event) => { if (event.key === "Alt") alt(false); });
  document.addEventListener("pointermove", (event) => alt(event.altKey), { passive: true });
  window.addEventListener("blur", () => alt(false));
}

function setPicking(on) {
  app.picking = on;
  $("#pick-colour").setAttribute("aria-pressed", String(on));
  showPicking();
}

// While a click picks: an eyedropper over the canvas and the pictures, and no brush outline.
function showPicking() {
  const on = app.picking || app.altHeld;
  app.painter.picking = on;
  $("#view-lab .lab").classList.toggle("picking", on);
  app.outline.refresh();
}

function pickedColour(colour) {
  setColour(colour);
  announce(`Colour ${colour} picked`);
  if (app.picking) setPicking(false);
}

// The colour of `image` (shown with object-fit: contain) under a client point, averaged over the part
// of the picture that one screen pixel shows; null in the margins around the picture.
function imageColourAt(image, clientX, clientY) {
  const { naturalWidth: width, naturalHeight: height } = image;
  if (!image.complete || !width || !height) return null;
  const box = image.getBoundingClientRect();
  const scale = Math.min(box.width / width, box.height / height);
  const x = (clientX - box.left - (box.width - width * scale) / 2) / scale;
  const y = (clientY - box.top - (box.height - height * scale) / 2) / scale;
  if (x < 0 || y < 0 || x >= width || y >= height) return null;
  const span = Math.min(Math.max(1, 1 / scale), width, height);
  const canvas = document.createElement("canvas");
  canvas.width = 1;
  canvas.height = 1;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.imageSmoothingQuality = "high";
  const left = Math.min(Math.max(0, x - span / 2), width - span);
  const top = Math.min(Math.max(0, y - span / 2), height - span);
  ctx.drawImage(image, left, top, span, span, 0, 0, 1, 1);
  try {
    const [r, g, b] = ctx.getImageData(0, 0, 1, 1).data;
    return hexColour([r, g, b]);
  } catch (error) {
    showError(`The colours of this picture cannot be read: ${error.message}`);
    return null;
  }
}

const BRUSH_DEFAULTS = {
  pencil: { size: 6, opacity: 90 }, marker: { size: 16, opacity: 70 }, acrylic: { size: 28, opacity: 95 },
  watercolour: { size: 36, opacity: 60 }, airbrush: { size: 48, opacity: 60 }, eraser: { size: 28, opacity: 100 },
  fill: { size: 12, opacity: 100 },
};
const TOOLS_KEY = "stylelab.tools";

// The brush, the colour and each brush's size and opacity, as the user last left them (kept in the
// browser, so a reload or the next experiment starts with the same tools).
function loadTools() {
  const tools = { brush: "pencil", colour: "#2b2b2b", brushes: structuredClone(BRUSH_DEFAULTS) };
  try {
    const saved = JSON.parse(localStorage.getItem(TOOLS_KEY) || "{}");
    if (BRUSHES.includes(saved.brush)) tools.brush = saved.brush;
    if (/^#[0-9a-f]{6}$/i.test(saved.colour || "")) tools.colour = saved.colour;
    for (const brush of BRUSHES) {
      const stored = (saved.brushes && saved.brushes[brush]) || {};
      for (const key of ["size", "opacity"]) {
        const input = $(`#brush-${key}`);
        const value = Number(stored[key]);
        if (Number.isInteger(value) && value >= Number(input.min) && value <= Number(input.max)) {
          tools.brushes[brush][key] = value;
        }
      }
    }
  } catch (error) {
    // no storage (private window) or a damaged entry: the defaults
  }
  return tools;
}

function saveTools() {
  try {
    localStorage.setItem(TOOLS_KEY, JSON.stringify(app.tools));
  } catch (error) {
    // storage full or disabled: the tools are still remembered for this page
  }
}

function showBrushSettings({ size, opacity }) {
  app.painter.size = size;
  app.painter.opacity = opacity / 100;
  $("#brush-size").value = size;
  $("#brush-opacity").value = opacity;
  $("#brush-size-value").textContent = String(size);
  $("#brush-opacity-value").textContent = `${opacity}%`;
  app.outline.refresh();
}

function changeBrushSettings(changes) {
  const settings = app.tools.brushes[app.tools.brush];
  Object.assign(settings, changes);
  showBrushSettings(settings);
  saveTools();
}

function selectBrush(brush) {
  if (app.picking) setPicking(false); // a brush is chosen to paint with
  app.painter.brush = brush;
  app.tools.brush = brush;
  for (const button of $$(".brush")) {
    button.classList.toggle("selected", button.dataset.brush === brush);
    button.setAttribute("aria-pressed", String(button.dataset.brush === brush));
  }
  showBrushSettings(app.tools.brushes[brush]);
  saveTools();
  $("#canvas-wrap").dataset.brush = brush;
}

// ----------------------------------------------------------------------------------- results

const PAIRS = [["drawing_fast", "Your drawing ↔ fast"], ["drawing_gatys", "Your drawing ↔ Gatys"],
  ["fast_gatys", "Fast ↔ Gatys"]];

async function showResults(id) {
  const experiment = await api(`/api/experiments/${id}`);
  renderResults(experiment);
  const onEvent = (event) => {
    if (event.type === "snapshot" || event.type === "experiment") renderResults(event.experiment);
    else if (event.type === "jobs") renderResults({ ...app.experiment, jobs: event.jobs, active: event.active });
    else if (event.type === "progress") showResultProgress(event);
    else if (event.type === "end") api(`/api/experiments/${id}`).then(renderResults);
  };
  if (experiment.active) followEvents(experiment, onEvent);
  else watchForRestart(id, onEvent);
}

// One experiment's downloads share its id: stylelab-<experiment>-fast-method.png, like its sheet.
function downloadUrl(image, title) {
  const role = title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  return app.experiment ? `${image.download_url}?name=${app.experiment.id}-${role}` : image.download_url;
}

// A picture with its title: the image and a Download link, else a preview with `note` under it, else `note`.
function figure(title, image, note, extra = null, preview = null) {
  const picture = image ? h("img", { src: image.url, alt: title })
    : preview ? h("img", { src: preview, alt: `${title} (preview)`, class: "preview" })
    : h("div", { class: "missing" }, note || "not available");
  const lead = image ? h("a", { href: downloadUrl(image, title), download: "", class: "download",
    "aria-label": `Download ${title}` }, "Download")
    : preview ? h("span", { class: "job-note" }, note) : null;
  return h("figure", { class: "picture" }, h("figcaption", {}, title), picture,
    h("div", { class: "picture-foot" }, lead, extra));
}

// A method's picture: its result, else its latest preview with the progress under it, else its state.
function jobNote(job) {
  return !job ? "not run" : job.state === "running" && job.progress
    ? `running: ${Math.round((100 * job.progress.iteration) / job.progress.total)}%` : STATE_TEXT[job.state];
}

// A results figure that has not changed is kept as it is, with its focus and its progress (a "jobs" event
// about the fast method used to rebuild the Gatys figure under the pointer pressing its Cancel).
function kept(key, make) {
  const existing = [...$("#pictures").children].find((element) => element.dataset.key === key);
  const element = existing || make();
  element.dataset.key = key;
  return element;
}

// Put ``elements`` in ``container`` touching only the places that change: a node taken out and put back
// loses the keyboard focus.
function keepChildren(container, elements) {
  elements.forEach((element, index) => {
    const current = container.children[index];
    if (current === element) return;
    if (current) current.replaceWith(element);
    else container.append(element);
  });
  while (container.children.length > elements.length) container.lastElementChild.remove();
}

function jobKey(kind, job) {
  return job ? `${kind} ${job.id} ${job.state} ${job.result ? job.result.id : ""} ${job.error || ""}` : `${kind} none`;
}

function jobFigure(kind, job) {
  const preview = job && !job.result && job.state === "running" ? job.preview_url : null;
  const element = figure(JOB_TITLES[kind], job && job.result, jobNote(job), job ? jobButtons(job) : null, preview);
  element.dataset.job = kind;
  element.tabIndex = -1; // takes the focus from a button of its job that is gone (see restoreJobFocus)
  return element;
}

// Progress updates the picture and its note in place (its buttons stay, so a press is not lost);
// only the first preview replaces the "Running" placeholder.
function showResultProgress(event) {
  const job = app.experiment && app.experiment.jobs[event.kind];
  if (!job || job.id !== event.job_id || job.state !== "running") return;
  job.progress = event.progress;
  if (event.preview_url) job.preview_url = event.preview_url;
  const current = $(`#pictures [data-job="${event.kind}"]`);
  const preview = current && $("img.preview", current);
  if (!current) return;
  const box = $(".missing", current);
  if (event.preview_url && !preview && box) { // the first preview takes the place of the "running" box,
    box.replaceWith(h("img", { src: event.preview_url, alt: `${JOB_TITLES[event.kind]} (preview)`, class: "preview" }));
    $(".picture-foot", current).prepend(h("span", { class: "job-note" })); // and its words go under it
  } else if (event.preview_url && preview) {
    preview.src = event.preview_url;
  }
  const note = $(".job-note", current) || $(".missing", current); // the buttons beside it stay as they are
  if (note) note.textContent = jobNote(job);
}

function attemptFigure(experiment) {
  const element = figure(attemptName(experiment), experiment.drawing,
    h("a", { href: `#/lab/${experiment.id}` }, "not drawn yet — paint it"));
  element.classList.add("attempt"); // on a phone it sits beside both results (style.css)
  return element;
}

function renderResults(experiment) {
  announceJobChanges(app.experiment, experiment);
  app.experiment = experiment;
  const { fast, gatys } = experiment.jobs;
  const focused = focusedJob($("#view-results"));
  keepChildren($("#pictures"), [
    kept(`photo ${experiment.id}`, () => figure("Photo", experiment.photo)),
    kept(`painting ${experiment.id}`, () => figure("Painting", experiment.painting)),
    kept(`attempt ${experiment.drawing && experiment.drawing.id}`, () => attemptFigure(experiment)),
    kept(jobKey("fast", fast), () => jobFigure("fast", fast)),
    kept(jobKey("gatys", gatys), () => jobFigure("gatys", gatys)),
  ]);
  $("#sheet-link").href = `${experiment.sheet_url}?download=true`;
  const grades = experiment.grades;
  const waiting = experiment.active;
  const methodsRunning = [fast, gatys].some((job) => job && ["queued", "running"].includes(job.state));
  if (grades && !$("#grades").dataset.announced) announce("The grades are in.");
  $("#grades").dataset.announced = grades ? "yes" : "";
  setChildren($("#grades-status"), !experiment.drawing ? "Grades come once you finish your drawing."
    : methodsRunning ? "Grading waits for the methods still running…" : waiting ? "Grading…"
      : methodsStopped(experiment) || (grades ? "" : gradingStopped(experiment.jobs.grade) || "Not graded."));
  const attempt = attemptName(experiment);
  $("#grades").replaceChildren(...PAIRS.map(([pair, title]) => gradeCard(title.replace("Your drawing", attempt),
    grades && grades[pair], waiting)));
  restoreJobFocus($("#view-results"), focused, (kind) => $(`#pictures [data-job="${kind}"]`) || $("#view-results h1"));
}

// Say in the live region what a method did since the results were last shown: "Gatys method: Done".
function announceJobChanges(before, after) {
  if (!before || before.id !== after.id) return;
  const changed = ["fast", "gatys"].filter((kind) => before.jobs[kind] && after.jobs[kind]
    && before.jobs[kind].state !== after.jobs[kind].state);
  if (changed.length) announce(changed.map((kind) => jobChangeText(kind, after.jobs[kind])).join(". "));
}

// "Gatys method: Failed (out of memory …)": the reason too, which the page shows beside the picture.
function jobChangeText(kind, job) {
  const reason = job.state === "failed" && job.error ? ` (${job.error})` : "";
  return `${JOB_TITLES[kind]}: ${STATE_TEXT[job.state]}${reason}`;
}

const STOPPED_TEXT = { failed: "failed", cancelled: "was cancelled", interrupted: "was interrupted by a server restart" };

// Why grades are missing when a method has no result: "Gatys method was cancelled: Re-run it …".
function methodsStopped(experiment) {
  return ["fast", "gatys"].map((kind) => experiment.jobs[kind]).filter((job) => job && STOPPED_TEXT[job.state])
    .map((job) => `${JOB_TITLES[job.kind]} ${STOPPED_TEXT[job.state]}: Re-run it to get the grades that need `
      + "its picture.").join(" ");
}

// Why there are no grades when grading itself stopped, with its Re-run button: "Grading failed (…)".
function gradingStopped(job) {
  if (!job || !STOPPED_TEXT[job.state]) return null;
  const reason = job.state === "failed" && job.error ? ` (${job.error})` : "";
  return [`Grading ${STOPPED_TEXT[job.state]}${reason}. `, jobButtons(job)];
}

// What the person made: painted on the canvas, or a photo of a painting on paper they uploaded.
function attemptName(experiment) {
  return experiment.drawing_source === "upload" ? "Your painting" : "Your drawing";
}

function gradeCard(title, grade, waiting) {
  if (!grade) {
    return h("div", { class: "grade empty", "data-grade": "none" }, h("h3", {}, title),
      h("p", {}, waiting ? "waiting…" : "not available"));
  }
  const components = Object.entries(grade.components).map(([name, value]) => h("li", {},
    h("span", { class: "component-name" }, name),
    h("span", { class: "bar" }, h("span", { style: `width:${Math.round(10 * Math.max(0, Math.min(10, value)))}%` })),
    h("span", { class: "component-value" }, `${value.toFixed(1)} / 10`)));
  return h("div", { class: "grade", "data-grade": grade.score.toFixed(1) },
    h("h3", {}, title),
    h("p", { class: "score" }, h("strong", {}, grade.score.toFixed(1)), " / 10"),
    h("ul", { class: "components" }, components));
}

// ----------------------------------------------------------------------------------- history

const HISTORY_PAGE = 24;
const HISTORY_MAX_PAGE = 100; // the API's largest page: more are fetched page by page
const HISTORY_REFRESH_MS = 2000;

// mode: "first" page, "more" (the next page, appended) or "refresh" (the pages shown, again: while an
// experiment on them still runs, its badges and results follow without a reload).
async function showHistory(mode = "first") {
  const back = mode === "first" ? app.historyReturn : null; // the place left by opening a card
  app.historyReturn = null;
  const offset = mode === "more" ? app.historyOffset : 0;
  const count = mode === "refresh" ? Math.max(HISTORY_PAGE, app.historyOffset)
    : back ? Math.max(HISTORY_PAGE, back.count) : HISTORY_PAGE;
  const page = await historyPages(offset, count);
  if ($("#view-history").hidden) return; // left meanwhile
  const cards = page.items.filter((item) => !app.deleted.has(item.id)).map(historyCard);
  const list = $("#history-list");
  const focus = focusedInHistory();
  if (mode === "more") list.append(...cards);
  else list.replaceChildren(...(cards.length ? cards : [h("p", { class: "hint" }, "No experiments yet.")]));
  if (mode === "refresh") restoreHistoryFocus(focus);
  if (back) restoreHistoryFocus({ id: back.id, selector: null, index: -1 }); // its title link, scrolled to
  app.historyOffset = offset + page.items.length;
  $("#history-more").hidden = app.historyOffset >= page.total;
  clearTimeout(app.historyTimer);
  if ($("#history-list .history-card[data-active=true]")) refreshHistoryLater();
}

function refreshHistoryLater() {
  clearTimeout(app.historyTimer);
  app.historyTimer = setTimeout(() => showHistory("refresh").catch((error) => {
    showError(error.message);
    if (error.status === 0) refreshHistoryLater(); // the server may be restarting: keep trying
  }), HISTORY_REFRESH_MS);
}

// `count` experiments from `offset`, fetched in pages the API accepts.
async function historyPages(offset, count) {
  const items = [];
  let total = 0;
  while (items.length < count) {
    const limit = Math.min(HISTORY_MAX_PAGE, count - items.length);
    const page = await api(`/api/experiments?limit=${limit}&offset=${offset + items.length}`);
    items.push(...page.items);
    total = page.total;
    if (page.items.length < limit) break;
  }
  return { items, total };
}

// Which control of which card has the keyboard focus, so that a refresh can give it back: a job's
// button by its action and job, a link by its place. Gone (the job finished): the card's title.
function focusedInHistory() {
  const element = document.activeElement;
  const card = element && element.closest("#history-list .history-card");
  if (!card) return null;
  const { action, kind } = element.dataset;
  const selector = action ? `[data-action="${action}"]${kind ? `[data-kind="${kind}"]` : ""}` : null;
  return { id: card.dataset.experiment, selector, index: $$("a", card).indexOf(element) };
}

function restoreHistoryFocus(focus) {
  const card = focus && $(`#history-list [data-experiment="${focus.id}"]`);
  if (!card) return;
  const control = focus.selector ? $(focus.selector, card) : $$("a", card)[focus.index];
  const target = control && !control.disabled ? control : $(".history-head a", card);
  target.focus();
}

function historyCard(experiment) {
  const thumbs = [["photo", experiment.photo], ["painting", experiment.painting], ["drawing", experiment.drawing],
    ["fast", experiment.jobs.fast && experiment.jobs.fast.result],
    ["gatys", experiment.jobs.gatys && experiment.jobs.gatys.result]];
  const when = new Date(experiment.created * 1000).toLocaleString();
  const target = experiment.drawing ? `#/results/${experiment.id}` : `#/lab/${experiment.id}`;
  const jobs = Object.values(experiment.jobs).flatMap((job) => [
    h("span", { class: `badge ${job.state}` }, `${job.kind}: ${STATE_TEXT[job.state]}`), jobButtons(job)]);
  const grades = experiment.grades ? PAIRS.filter(([pair]) => experiment.grades[pair]).map(([pair, title]) =>
    h("span", { class: "history-grade" }, `${title} ${experiment.grades[pair].score.toFixed(1)}`)) : [];
  const remember = () => { app.historyReturn = { count: app.historyOffset, id: experiment.id }; };
  return h("article", { class: "history-card", "data-experiment": experiment.id,
    "data-active": String(experiment.active), onclick: (event) => { if (event.target.closest("a")) remember(); } },
    h("a", { href: target, class: "thumbs", tabindex: "-1", "aria-hidden": "true" }, thumbs.map(([label, image]) => image
      ? h("img", { src: image.thumb_url, alt: label, title: label })
      : h("span", { class: "thumb-missing" }, missingThumbText(experiment, label)))),
    h("div", { class: "history-meta" },
      h("div", { class: "history-head" },
        h("a", { href: target }, `${experiment.photo.label} × ${experiment.painting.label}`),
        h("button", { type: "button", class: "small delete", "data-action": "delete", disabled: experiment.active,
          title: experiment.active ? "Cancel its running jobs (or let them finish) to delete it"
            : "Delete this experiment and its pictures",
          "aria-label": `Delete ${experiment.photo.label} × ${experiment.painting.label}`
            + (experiment.active ? " (cancel its running jobs first)" : ""),
          onclick: () => deleteExperiment(experiment) }, "Delete")),
      h("div", { class: "history-when" }, when),
      grades.length ? h("div", { class: "history-grades" }, grades) : null,
      h("div", { class: "badges" }, jobs)));
}

// What stands in a history card for a picture not there yet: a method's state, or the drawing's.
function missingThumbText(experiment, label) {
  if (label === "drawing") return experiment.has_draft ? "drawing in progress" : "no drawing yet";
  const job = experiment.jobs[label];
  const name = label[0].toUpperCase() + label.slice(1);
  return job ? `${name}: ${STATE_TEXT[job.state].toLowerCase()}` : name;
}

async function deleteExperiment(experiment) {
  if (!confirm("Delete this experiment with its drawing and results? This cannot be undone.")) return;
  try {
    await api(`/api/experiments/${experiment.id}`, { method: "DELETE" });
  } catch (error) {
    showError(error.message);
    return;
  }
  app.deleted.add(experiment.id); // a refresh already on its way must not bring it back
  const card = $(`#history-list [data-experiment="${experiment.id}"]`); // a refresh may have redrawn it
  const neighbour = card && (card.nextElementSibling || card.previousElementSibling);
  // the focus follows only from the card (its Delete), not from where the user went while the server worked
  const focusHere = card && (card.contains(document.activeElement) || document.activeElement === document.body);
  const moveFocus = (element) => { if (focusHere) element.focus(); };
  if (card) card.remove();
  app.historyOffset -= 1;
  if (neighbour) moveFocus($(".history-head a", neighbour));
  else showHistory().then(() => moveFocus($("#view-history h1"))).catch((error) => showError(error.message));
}

// ----------------------------------------------------------------------------------- setup

async function main() {
  $("#error-close").addEventListener("click", dismissError);
  document.addEventListener("focusin", (event) => {
    if (!event.target.closest("#error")) app.focusBeforeError = event.target;
  });
  $("#surprise").addEventListener("click", () => surprise().catch((error) => showError(error.message)));
  $("#start").addEventListener("click", () => start().catch((error) => showError(error.message)));
  $("#finish").addEventListener("click", finishCanvas);
  $("#history-more").addEventListener("click", () => showHistory("more").catch((error) => showError(error.message)));
  for (const role of ["photo", "painting"]) {
    setupDropzone(role, (file) => uploadAndChoose(role, file));
  }
  setupDropzone("drawing", (file) => {
    if (!app.painter.isBlank() && !confirm("Compare this photo of your painting instead of the canvas? "
      + "What you painted on the canvas is not kept.")) return null;
    return finishWith(file, "upload", file.name);
  });
  setupCanvas();
  try {
    app.config = await api("/api/config");
  } catch (error) {
    showError(error.message);
    return;
  }
  window.addEventListener("hashchange", () => route());
  window.addEventListener("resize", fitCanvas);
  document.addEventListener("visibilitychange", pauseEventsWhileHidden);
  route();
}

main();
