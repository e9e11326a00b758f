// The console's slide-outs (an order, a persona) behave as dialogs: focus moves into one when it opens, Tab and
// Shift+Tab stay inside it, Esc, its ✕ or a click outside close it, and focus goes back to the row that opened it.
// Closing empties #slideout, so an open order's polling stops with it.
(function () {
  let opener = null;  // the element focused when the slide-out opened (a row), or its id if it gets replaced
  let openerId = "";

  function panel() { return document.querySelector("#slideout .slideout"); }

  function focusable(root) {
    return Array.from(root.querySelectorAll(
      'a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select:not([disabled]), ' +
      'textarea:not([disabled]), summary, [tabindex]:not([tabindex="-1"])'
    )).filter((el) => el.offsetParent !== null || el === document.activeElement);
  }

  // The address names the open slide-out (?product=, ?persona=) so that a reload opens it again; once it is
  // closed, the address stops naming it, or a reload would open it again.
  const OPENS = ["product", "persona"];

  window.closeSlideout = function () {
    document.getElementById("slideout").replaceChildren();
    const url = new URL(window.location.href);
    if (OPENS.some((name) => url.searchParams.has(name))) {
      OPENS.forEach((name) => url.searchParams.delete(name));
      window.history.replaceState(window.history.state, "", url);
    }
    // The row may have been swapped (a Confirm re-renders it): find its successor by id.
    const back = opener && opener.isConnected ? opener : (openerId && document.getElementById(openerId));
    if (back) back.focus();
    opener = null;
    openerId = "";
  };

  document.addEventListener("htmx:beforeSwap", (event) => {
    if (event.detail.target && event.detail.target.id === "slideout" && !panel()) {
      const active = document.activeElement;
      opener = active && active !== document.body ? active : event.detail.requestConfig && event.detail.requestConfig.elt;
      openerId = opener && opener.id ? opener.id : "";
    }
  });

  document.addEventListener("htmx:afterSettle", () => {
    const open = panel();
    if (open && !open.contains(document.activeElement)) {
      const close = open.querySelector(".close");
      (close || open).focus();
    }
  });

  document.addEventListener("keydown", (event) => {
    const open = panel();
    if (!open) return;
    if (event.key === "Escape") {
      event.preventDefault();
      window.closeSlideout();
    } else if (event.key === "Tab") {
      const items = focusable(open);
      if (!items.length) return;
      const first = items[0];
      const last = items[items.length - 1];
      if (event.shiftKey && (document.activeElement === first || !open.contains(document.activeElement))) {
        event.preventDefault();
        last.focus();
      } else if (!event.shiftKey && (document.activeElement === last || !open.contains(document.activeElement))) {
        event.preventDefault();
        first.focus();
      }
    }
  });
})();

// On a phone the sidebar collapses to a bar: its Menu button opens and closes the navigation.
document.addEventListener("click", (event) => {
  const toggle = event.target.closest(".nav-toggle");
  if (!toggle) return;
  const open = toggle.closest(".sidebar").classList.toggle("open");
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
});

// A table wider than the screen scrolls sideways in its own box (a phone): keyboard users must reach it too, so such
// a table takes the focus (and the arrow keys scroll it); one that fits takes no tab stop. Checked whenever the page
// is laid out anew: loaded, resized, or a part of it swapped in.
(function () {
  function reachable() {
    document.querySelectorAll(".content table, .slideout table").forEach((table) => {
      if (table.scrollWidth > table.clientWidth + 1) table.setAttribute("tabindex", "0");
      else if (table.getAttribute("tabindex") === "0") table.removeAttribute("tabindex");
    });
  }
  document.addEventListener("DOMContentLoaded", reachable);
  window.addEventListener("resize", reachable);
  document.addEventListener("htmx:afterSettle", reachable);
  document.addEventListener("toggle", reachable, true);  // a <details> opened: its table is laid out now
})();
