// Renders the book's diagrams: every <pre class="mermaid"> holds a diagram's text source.
// The colours follow mdBook's theme; picking another theme reloads the page to redraw them.
(() => {
  const dark = ["coal", "navy", "ayu"].some((t) => document.documentElement.classList.contains(t));
  mermaid.initialize({ startOnLoad: true, theme: dark ? "dark" : "default" });
  for (const button of document.querySelectorAll(".theme-popup .theme, #mdbook-theme-list button")) {
    button.addEventListener("click", () => window.location.reload());
  }
})();
