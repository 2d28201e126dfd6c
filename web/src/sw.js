// Offline: serve the app's own files from a cache, refreshing it whenever the network answers.
const CACHE = "onbehalf-v4";
const FILES = ["./", "index.html", "style.css", "app.js", "form.js", "verdict.js", "fixes.js", "directory.js", "presets.js", "pkg/onbehalf_web.js", "pkg/onbehalf_web_bg.wasm", "manifest.webmanifest"];
self.addEventListener("install", (e) => e.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES))));
self.addEventListener("fetch", (e) => {
  if (e.request.method !== "GET") return;
  e.respondWith(
    fetch(e.request)
      .then((r) => { const copy = r.clone(); caches.open(CACHE).then((c) => c.put(e.request, copy)); return r; })
      .catch(() => caches.match(e.request, { ignoreSearch: true }))
  );
});
