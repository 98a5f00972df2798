/*
 * slideproof presentation mode: one slide at a time, full screen, keyboard driven, with a
 * speaker view in a second window kept in step over a BroadcastChannel. No dependencies.
 *
 * The deck page has one <section class="sp-slide" id="slide-N"> per slide. Presenting
 * moves the live section into a dialog (so code-copy buttons etc. keep working) and puts
 * it back on leaving. URLs: #present-N opens presentation at slide N; #slide-N is the
 * slide on the page. The speaker view is this page opened with ?speaker=N; ?print-pdf lays
 * the deck out one slide per 16:9 page for the browser's print (add &notes for the notes).
 */
(function () {
  "use strict";

  var configNode = document.getElementById("sp-config");
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.sp-slide"));
  if (!configNode || !sections.length) return;

  var config = {};
  try { config = JSON.parse(configNode.textContent); } catch (e) { config = {}; }
  var ui = config.ui || {};
  var total = sections.length;
  var channelName = "slideproof:" + location.pathname;
  var channel = "BroadcastChannel" in window ? new BroadcastChannel(channelName) : null;
  var PRESENT_HASH = /^#present-(\d+)$/;

  function t(key, values) {
    var text = ui[key] || key;
    Object.keys(values || {}).forEach(function (k) {
      text = text.replace("{" + k + "}", values[k]);
    });
    return text;
  }

  function clamp(n) {
    n = parseInt(n, 10);
    if (isNaN(n)) return 1;
    return Math.min(Math.max(n, 1), total);
  }

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") node.textContent = attrs[k];
      else if (k === "className") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { node.appendChild(c); });
    return node;
  }

  function slideTitle(n) {
    var heading = sections[n - 1].querySelector("h1, h2, h3");
    if (!heading) return "";
    var copy = heading.cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll(".headerlink"), function (a) { a.remove(); });
    return copy.textContent.trim();
  }

  function counterText(n) {
    var title = slideTitle(n);
    return t("counter", { n: n, total: total }) + (title ? ": " + title : "");
  }

  /* A copy of slide n without its notes and without ids (for previews). */
  function slideClone(n) {
    var copy = sections[n - 1].cloneNode(true);
    Array.prototype.forEach.call(copy.querySelectorAll(".sp-notes, .sp-slide__present, .headerlink, .md-clipboard, .md-code__nav"),
      function (node) { node.remove(); });
    copy.removeAttribute("id");
    Array.prototype.forEach.call(copy.querySelectorAll("[id]"), function (node) { node.removeAttribute("id"); });
    Array.prototype.forEach.call(copy.querySelectorAll("a[href]"), function (a) { a.removeAttribute("href"); });
    Array.prototype.forEach.call(copy.querySelectorAll("[tabindex]"), function (node) { node.removeAttribute("tabindex"); });
    Array.prototype.forEach.call(copy.querySelectorAll("button, input, select, textarea"), function (node) { node.remove(); });
    copy.setAttribute("aria-hidden", "true");
    return copy;
  }

  /* Code too wide for its box: first a smaller font (down to a readable minimum), then
     wrapped lines with a continuation marker; never clipped, never a scrollbar. */
  var MIN_CODE_SCALE = 0.7;
  var originalCode = new WeakMap();

  function tooWide(code) { return code.scrollWidth > code.clientWidth + 1; }

  function wrapLines(code) {
    var lines = [document.createElement("span")];
    function walk(node, ancestors) {
      if (node.nodeType === 3) {
        node.data.split("\n").forEach(function (part, i) {
          if (i > 0) lines.push(document.createElement("span"));
          if (!part) return;
          var piece = document.createTextNode(part);
          for (var j = ancestors.length - 1; j >= 0; j--) {
            var wrapper = ancestors[j].cloneNode(false);
            wrapper.removeAttribute("id");
            wrapper.appendChild(piece);
            piece = wrapper;
          }
          lines[lines.length - 1].appendChild(piece);
        });
      } else if (node.nodeType === 1) {
        Array.prototype.forEach.call(node.childNodes, function (child) { walk(child, ancestors.concat([node])); });
      }
    }
    Array.prototype.forEach.call(code.childNodes, function (child) { walk(child, []); });
    if (lines.length > 1 && !lines[lines.length - 1].childNodes.length) lines.pop();
    lines.forEach(function (line) { line.className = "sp-line"; });
    code.replaceChildren.apply(code, lines);
    code.classList.add("sp-wrap");
  }

  function unfitCode(root) {
    Array.prototype.forEach.call(root.querySelectorAll("pre > code"), function (code) {
      if (originalCode.has(code)) {
        code.innerHTML = originalCode.get(code);
        originalCode.delete(code);
        code.classList.remove("sp-wrap");
      }
      code.style.fontSize = "";
    });
  }

  function fitCode(root) {
    unfitCode(root);
    Array.prototype.forEach.call(root.querySelectorAll("pre > code"), function (code) {
      if (!tooWide(code)) return;
      var base = parseFloat(getComputedStyle(code).fontSize) || 16;
      var size = base * Math.max(MIN_CODE_SCALE, code.clientWidth / code.scrollWidth);
      code.style.fontSize = size + "px";
      while (tooWide(code) && size > base * MIN_CODE_SCALE) {
        size = Math.max(base * MIN_CODE_SCALE, size * 0.95);
        code.style.fontSize = size + "px";
      }
      if (tooWide(code)) {
        originalCode.set(code, code.innerHTML);
        wrapLines(code);
      }
    });
  }

  /* Scale `frame` (laid out at its natural size) to fit inside `box`, centred. */
  function fit(frame, box, maxScale) {
    frame.style.transform = "none";
    fitCode(frame);
    var width = Math.max(frame.offsetWidth, frame.scrollWidth), height = frame.scrollHeight;
    var boxWidth = box.clientWidth, boxHeight = box.clientHeight;
    if (!width || !height || !boxWidth || !boxHeight) return;
    var scale = Math.min(boxWidth / width, boxHeight / height, maxScale || 3);
    var x = (boxWidth - width * scale) / 2, y = Math.max(0, (boxHeight - height * scale) / 2);
    frame.style.transform = "translate(" + x + "px," + y + "px) scale(" + scale + ")";
  }

  function isTyping(event) {
    var target = event.target;
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]");
  }

  /* Keys → a slide number (or null). Shared by the presentation and the speaker view. */
  function keyTarget(event, current) {
    switch (event.key) {
      case "ArrowRight": case "ArrowDown": case "PageDown": case "n":
        return current + 1;
      case " ": case "Spacebar":
        return event.shiftKey ? current - 1 : current + 1;
      case "ArrowLeft": case "ArrowUp": case "PageUp": case "Backspace":
        return current - 1;
      case "Home": return 1;
      case "End": return total;
    }
    return null;
  }

  function post(message) {
    if (channel) {
      try { channel.postMessage(message); } catch (e) { /* closed */ }
    }
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function duration(seconds) {
    seconds = Math.max(0, Math.round(seconds));
    var h = Math.floor(seconds / 3600), m = Math.floor(seconds / 60) % 60, s = seconds % 60;
    return (h ? h + ":" + pad(m) : String(m)) + ":" + pad(s);
  }

  var params = new URLSearchParams(location.search);
  if (params.has("speaker")) {
    speakerView(clamp(params.get("speaker") || 1));
  } else if (params.has("print-pdf")) {
    printView(params.has("notes"));
  } else {
    deckPage();
  }

  /* ---------------------------------------------------------------------------------- */
  function deckPage() {
    var state = { presenting: false, current: 1, returnFocus: null, fullscreen: false, step: 0 };
    var dialog, stage, frame, counter, placeholder = null, status, progress, blank, overview;
    var presentButton = document.querySelector("[data-sp-action=present]");
    var speakerButton = document.querySelector("[data-sp-action=speaker]");
    var help = document.querySelector(".sp-toolbar__help");

    // Notes are a labelled region of the narrative (the label also shows in CSS).
    Array.prototype.forEach.call(document.querySelectorAll(".sp-notes"), function (notes) {
      notes.setAttribute("role", "note");
      if (!notes.getAttribute("aria-label") && config.notes) notes.setAttribute("aria-label", config.notes);
    });
    // Each slide gets a small "present from here" link.
    sections.forEach(function (section, i) {
      var n = i + 1;
      var link = el("a", {
        className: "sp-slide__present", href: "#present-" + n,
        "aria-label": t("present_from", { n: n }), title: t("present_from", { n: n })
      });
      link.appendChild(el("span", { "aria-hidden": "true", text: n + " ▶" }));
      section.insertBefore(link, section.firstChild);
    });
    [presentButton, speakerButton, help].forEach(function (node) { if (node) node.hidden = false; });

    function build() {
      if (dialog) return;
      counter = el("p", { className: "sp-present__counter", "aria-live": "polite", "aria-atomic": "true" });
      status = el("p", { className: "sp-present__status", role: "status" });
      var prev = el("button", { type: "button", className: "sp-present__button", "data-sp-action": "prev",
        "aria-label": t("prev"), title: t("prev") }, [el("span", { "aria-hidden": "true", text: "←" })]);
      var next = el("button", { type: "button", className: "sp-present__button", "data-sp-action": "next",
        "aria-label": t("next"), title: t("next") }, [el("span", { "aria-hidden": "true", text: "→" })]);
      var speaker = el("button", { type: "button", className: "sp-present__button sp-present__text",
        "data-sp-action": "speaker", "aria-keyshortcuts": "s", text: t("speaker") });
      var exit = el("button", { type: "button", className: "sp-present__button", "data-sp-action": "exit",
        "aria-label": t("exit"), title: t("exit"), "aria-keyshortcuts": "Escape" },
        [el("span", { "aria-hidden": "true", text: "✕" })]);
      frame = el("div", { className: "sp-present__frame md-typeset" });
      stage = el("div", { className: "sp-present__stage" }, [frame]);
      var overviewButton = el("button", { type: "button", className: "sp-present__button sp-present__text",
        "data-sp-action": "overview", "aria-keyshortcuts": "o", text: t("overview") });
      var fullscreen = el("button", { type: "button", className: "sp-present__button sp-present__text",
        "data-sp-action": "fullscreen", "aria-keyshortcuts": "f", text: t("fullscreen") });
      var bar = el("div", { className: "sp-present__bar" },
        [prev, next, counter, status, overviewButton, fullscreen, speaker, exit]);
      progress = el("div", { className: "sp-present__progress", role: "progressbar",
        "aria-label": t("progress"), "aria-valuemin": "1", "aria-valuemax": String(total) },
        [el("span", { className: "sp-present__progress-fill" })]);
      blank = el("div", { className: "sp-present__blank", role: "status", text: t("blank") });
      blank.hidden = true;
      overview = el("nav", { className: "sp-overview", "aria-label": t("overview") });
      overview.hidden = true;
      dialog = el("div", {
        className: "sp-present", role: "dialog", "aria-modal": "true", tabindex: "-1",
        "aria-label": t("presentation") + ": " + (config.title || document.title),
        "aria-roledescription": t("presentation")
      }, [stage, progress, bar, overview, blank]);
      dialog.hidden = true;
      dialog.addEventListener("click", function (event) {
        var button = event.target.closest("[data-sp-action]");
        if (!button) return;
        var action = button.getAttribute("data-sp-action");
        if (action === "prev") back();
        else if (action === "next") forward();
        else if (action === "exit") leave();
        else if (action === "speaker") openSpeaker();
        else if (action === "overview") openOverview();
        else if (action === "fullscreen") toggleFullscreen();
        else if (action === "present") { closeOverview(); go(Number(button.getAttribute("data-slide"))); dialog.focus(); }
      });
      document.body.appendChild(dialog);
      window.addEventListener("resize", function () { if (state.presenting) fit(frame, stage); });
    }

    function unmount() {  // put the presented slide back on the page, as it was
      if (!placeholder) return;
      var section = frame.firstChild;
      unfitCode(section);
      Array.prototype.forEach.call(section.querySelectorAll(".sp-future"), function (item) {
        item.classList.remove("sp-future");
      });
      placeholder.parentNode.replaceChild(section, placeholder);
      placeholder = null;
    }

    function mount(n) {
      unmount();
      var section = sections[n - 1];
      placeholder = document.createComment("sp-slide-" + n);
      section.parentNode.replaceChild(placeholder, section);
      frame.appendChild(section);
      Array.prototype.forEach.call(section.querySelectorAll("img"), function (img) {
        if (!img.complete) img.addEventListener("load", function () { fit(frame, stage); }, { once: true });
      });
      fit(frame, stage);
    }

    function setHash(hash) {
      try { history.replaceState(history.state, "", location.pathname + location.search + hash); }
      catch (e) { /* file:// in some browsers */ }
    }

    /* Incremental slides (data-incremental): their list items appear one at a time. */
    function steps(n) {
      if (sections[n - 1].getAttribute("data-incremental") !== "true") return [];
      return Array.prototype.slice.call(sections[n - 1].querySelectorAll(
        ":scope > ul > li, :scope > ol > li"));
    }

    function reveal(step) {
      var items = steps(state.current);
      state.step = Math.max(0, Math.min(step, items.length));
      items.forEach(function (item, i) { item.classList.toggle("sp-future", i >= state.step); });
    }

    function forward() {
      if (state.step < steps(state.current).length) reveal(state.step + 1);
      else go(state.current + 1);
    }

    function back() {
      if (state.step > 0) reveal(state.step - 1);
      else if (state.current > 1) { go(state.current - 1); reveal(steps(state.current).length); }
    }

    function show(n, options) {
      n = clamp(n);
      state.current = n;
      mount(n);
      reveal(0);
      progress.setAttribute("aria-valuenow", String(n));
      progress.setAttribute("aria-valuetext", t("counter", { n: n, total: total }));
      progress.firstChild.style.width = (100 * n / total) + "%";
      counter.textContent = counterText(n);
      dialog.setAttribute("data-slide", String(n));
      status.textContent = n === total ? t("end") : "";
      setHash("#present-" + n);
      if (!options || options.broadcast !== false) post({ type: "goto", slide: n });
    }

    function go(n) {
      n = clamp(n);
      if (n !== state.current) show(n);
    }

    function enter(n, options) {
      options = options || {};
      build();
      if (!state.presenting) {
        state.returnFocus = document.activeElement;
        state.presenting = true;
        Array.prototype.forEach.call(document.body.children, function (child) {
          if (child !== dialog && child.tagName !== "SCRIPT") {
            child.setAttribute("data-sp-inert", child.inert ? "keep" : "set");
            child.inert = true;
          }
        });
        document.documentElement.classList.add("sp-presenting");
        dialog.hidden = false;
        if (options.fullscreen && document.fullscreenEnabled && !document.fullscreenElement) {
          dialog.requestFullscreen().then(function () { state.fullscreen = true; })
            .catch(function () { state.fullscreen = false; });
        }
      }
      show(n, options);
      dialog.focus();
    }

    function leave(options) {
      if (!state.presenting) return;
      state.presenting = false;
      closeOverview();
      blank.hidden = true;
      unmount();
      dialog.hidden = true;
      document.documentElement.classList.remove("sp-presenting");
      Array.prototype.forEach.call(document.querySelectorAll("[data-sp-inert]"), function (child) {
        if (child.getAttribute("data-sp-inert") === "set") child.inert = false;
        child.removeAttribute("data-sp-inert");
      });
      if (document.fullscreenElement) {
        document.exitFullscreen().catch(function () { /* already out */ });
      }
      state.fullscreen = false;
      setHash("#slide-" + state.current);
      var section = sections[state.current - 1];
      if (!options || options.scroll !== false) section.scrollIntoView({ block: "start" });
      var back = state.returnFocus && document.contains(state.returnFocus) &&
        state.returnFocus !== document.body ? state.returnFocus : section.querySelector(".sp-slide__present");
      if (back && back.focus) {
        back.focus({ preventScroll: true });
        // Chrome may not see the page as focusable again until it recomputes styles.
        if (document.activeElement !== back) {
          setTimeout(function () { back.focus({ preventScroll: true }); }, 0);
        }
      }
      post({ type: "left", slide: state.current });
    }

    function openSpeaker() {
      if (!state.presenting) enter(state.current);
      var url = location.pathname + "?speaker=" + state.current;
      var win = window.open(url, "slideproof-speaker:" + location.pathname, "popup,width=1200,height=800");
      if (!win) {
        status.textContent = t("popup_blocked");
      }
    }

    /* Full screen on and off (f); the presentation goes on either way. Only a full screen
       entered with the presentation (p, Present) is left together with it by the browser's Esc. */
    function toggleFullscreen() {
      if (document.fullscreenElement) {
        state.fullscreen = false;
        document.exitFullscreen().catch(function () {});
      } else if (document.fullscreenEnabled) {
        dialog.requestFullscreen().catch(function () {});
      }
    }

    /* The overview (o): every slide as a small rendering with its title; arrows move, Enter presents. */
    function overviewTiles() { return Array.prototype.slice.call(overview.querySelectorAll(".sp-overview__tile")); }

    function openOverview() {
      if (!overview.hidden) { closeOverview(); return; }
      blank.hidden = true;
      var list = el("ol", { className: "sp-overview__list" });
      for (var n = 1; n <= total; n++) {
        var frameCopy = el("div", { className: "sp-present__frame md-typeset" }, [slideClone(n)]);
        var thumb = el("div", { className: "sp-overview__thumb", "aria-hidden": "true" }, [frameCopy]);
        var tile = el("button", { type: "button", className: "sp-overview__tile", "data-sp-action": "present",
          "data-slide": String(n), "aria-current": n === state.current ? "true" : "false" },
          [thumb, el("span", { className: "sp-overview__title", text: n + ". " + (slideTitle(n) || t("counter", { n: n, total: total })) })]);
        list.appendChild(el("li", {}, [tile]));
      }
      overview.replaceChildren(el("h2", { className: "sp-overview__heading", text: t("overview") }), list);
      overview.hidden = false;
      dialog.classList.add("sp-present--overview");
      overviewTiles().forEach(function (tile) {
        var thumb = tile.firstChild;
        fit(thumb.firstChild, thumb);
      });
      var current = overviewTiles()[state.current - 1];
      current.focus();
      current.scrollIntoView({ block: "nearest" });
    }

    function closeOverview() {
      if (!overview || overview.hidden) return;
      overview.hidden = true;
      overview.replaceChildren();
      dialog.classList.remove("sp-present--overview");
      dialog.focus();
    }

    function overviewKey(event) {
      var tiles = overviewTiles();
      var index = tiles.indexOf(document.activeElement);
      if (index < 0) index = state.current - 1;
      var columns = tiles.filter(function (tile) { return tile.offsetTop === tiles[0].offsetTop; }).length || 1;
      var moves = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: columns, ArrowUp: -columns,
        Home: -tiles.length, End: tiles.length };
      if (event.key in moves) {
        var target = tiles[Math.max(0, Math.min(tiles.length - 1, index + moves[event.key]))];
        target.focus();
        target.scrollIntoView({ block: "nearest" });
      } else if (event.key === "Escape" || event.key === "Esc" || event.key === "o" || event.key === "O") {
        closeOverview();
      } else if (event.key === "Enter" || event.key === " ") {
        tiles[index].click();
      } else if (event.key === "Tab") {
        trapFocus(event);
        return;
      } else {
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
    }

    // Keys: capture phase on window, so Material's own shortcuts (p/, = previous page,
    // s/f// = search) do not fire: on a deck page p, s and f belong to the presentation.
    window.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey) return;
      if (!state.presenting) {
        var key = (event.key || "").toLowerCase();
        if ((key === "p" || key === "s" || key === "f") && !isTyping(event) &&
            !document.documentElement.querySelector("[data-md-toggle=search]:checked")) {
          event.preventDefault();
          event.stopImmediatePropagation();
          if (key === "s") openSpeaker();
          else enter(currentSlideOnPage(), { fullscreen: true });
        }
        return;
      }
      if (!overview.hidden) { overviewKey(event); return; }
      if (!blank.hidden && ["Shift", "Control", "Alt", "Meta", "Tab"].indexOf(event.key) < 0) {
        blank.hidden = true;  // any key brings the slide back (b and . included)
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      var target = keyTarget(event, state.current);
      if (event.key === "Escape" || event.key === "Esc") {
        leave();
      } else if (event.key === "s" || event.key === "S") {
        openSpeaker();
      } else if (event.key === "f" || event.key === "F") {
        toggleFullscreen();
      } else if (event.key === "o" || event.key === "O") {
        openOverview();
      } else if (event.key === "b" || event.key === "B" || event.key === ".") {
        blank.hidden = false;
      } else if (event.key === "Tab") {
        trapFocus(event);
        return;
      } else if (target !== null) {
        if (event.key === " " && event.target.closest && event.target.closest("button, a")) return;
        if (target === state.current + 1 && event.key !== "End") forward();
        else if (target === state.current - 1 && event.key !== "Home") back();
        else go(target);
      } else {
        return;
      }
      event.preventDefault();
      event.stopImmediatePropagation();
    }, true);

    function trapFocus(event) {
      var focusable = Array.prototype.filter.call(
        dialog.querySelectorAll("a[href], button, [tabindex]:not([tabindex='-1']), input, select, textarea"),
        function (node) { return !node.disabled && node.offsetParent !== null; });
      if (!focusable.length) { event.preventDefault(); return; }
      var first = focusable[0], last = focusable[focusable.length - 1];
      if (event.shiftKey && (document.activeElement === first || document.activeElement === dialog)) {
        event.preventDefault(); last.focus();
      } else if (!event.shiftKey && document.activeElement === last) {
        event.preventDefault(); first.focus();
      }
    }

    // Touch: a horizontal swipe moves one slide. A swipe that starts at the screen's edge
    // would be the browser's back/forward gesture (Safari): it is ours while presenting.
    var touchStart = null, EDGE = 30;
    document.addEventListener("touchstart", function (event) {
      if (state.presenting && event.touches.length === 1) {
        touchStart = { x: event.touches[0].clientX, y: event.touches[0].clientY };
        var edge = touchStart.x < EDGE || touchStart.x > window.innerWidth - EDGE;
        if (edge && !(event.target.closest && event.target.closest("button, a"))) event.preventDefault();
      }
    }, { passive: false });
    document.addEventListener("touchend", function (event) {
      if (!state.presenting || !touchStart || !event.changedTouches.length) return;
      var dx = event.changedTouches[0].clientX - touchStart.x;
      var dy = event.changedTouches[0].clientY - touchStart.y;
      touchStart = null;
      if (Math.abs(dx) > 50 && Math.abs(dx) > 2 * Math.abs(dy)) { if (dx < 0) forward(); else back(); }
    }, { passive: true });

    // Leaving full screen with the browser's own Esc also leaves the presentation.
    document.addEventListener("fullscreenchange", function () {
      if (!document.fullscreenElement && state.presenting && state.fullscreen) leave();
    });

    function currentSlideOnPage() {
      var linked = /^#slide-(\d+)$/.exec(location.hash);
      if (linked && sections[linked[1] - 1]) {
        var box = sections[linked[1] - 1].getBoundingClientRect();
        if (box.bottom > 0 && box.top < window.innerHeight) return clamp(linked[1]);
      }
      var best = 1;
      sections.forEach(function (section, i) {
        if (section.getBoundingClientRect().top <= window.innerHeight / 3) best = i + 1;
      });
      return best;
    }

    if (presentButton) {
      presentButton.addEventListener("click", function () {
        enter(currentSlideOnPage(), { fullscreen: true });
      });
    }
    if (speakerButton) {
      speakerButton.addEventListener("click", function () {
        if (!state.presenting) enter(currentSlideOnPage());
        openSpeaker();
      });
    }

    function fromHash() {
      var match = PRESENT_HASH.exec(location.hash);
      if (match) enter(clamp(match[1]));
    }
    window.addEventListener("hashchange", fromHash);
    fromHash();

    if (channel) {
      channel.addEventListener("message", function (event) {
        var data = event.data || {};
        if (data.type === "goto") {
          if (!state.presenting) enter(data.slide, { broadcast: false });
          else if (data.slide !== state.current) show(data.slide, { broadcast: false });
        } else if (data.type === "hello") {
          post({ type: "state", slide: state.current, presenting: state.presenting });
        }
      });
    }

    // For tests and for people poking at the page.
    window.slideproof = {
      present: function (n) { enter(n || 1); },
      leave: function () { leave(); },
      go: function (n) { if (state.presenting) show(n); },
      state: function () {
        return { presenting: state.presenting, slide: state.current, total: total, step: state.step,
          overview: !!overview && !overview.hidden, blank: !!blank && !blank.hidden };
      }
    };
  }

  /* ---------------------------------------------------------------------------------- */
  function speakerView(start) {
    var state = { current: start, started: Date.now(), pausedAt: null, notesSize: 1 };
    var planned = Number(config.duration) > 0 ? Number(config.duration) * 60 : 0;  // seconds
    try { state.notesSize = Number(localStorage.getItem("slideproof:notes-size")) || 1; } catch (e) { /* no storage */ }
    document.title = t("speaker") + " — " + (config.title || document.title);
    document.documentElement.classList.add("sp-speaker-mode");

    var counter = el("p", { className: "sp-speaker__counter", "aria-live": "polite", "aria-atomic": "true" });
    var clock = el("span", { className: "sp-speaker__clock", role: "timer", "aria-label": t("elapsed") });
    var wall = el("time", { className: "sp-speaker__wall", "aria-label": t("clock") });
    var pace = el("span", { className: "sp-speaker__pace" });
    var smaller = el("button", { type: "button", className: "sp-present__button", "data-sp-action": "notes-smaller",
      "aria-label": t("notes_smaller"), title: t("notes_smaller"), "aria-keyshortcuts": "-" },
      [el("span", { "aria-hidden": "true", text: "A−" })]);
    var larger = el("button", { type: "button", className: "sp-present__button", "data-sp-action": "notes-larger",
      "aria-label": t("notes_larger"), title: t("notes_larger"), "aria-keyshortcuts": "+" },
      [el("span", { "aria-hidden": "true", text: "A+" })]);
    var pause = el("button", { type: "button", className: "sp-present__button sp-present__text",
      "data-sp-action": "pause", text: t("pause") });
    var reset = el("button", { type: "button", className: "sp-present__button sp-present__text",
      "data-sp-action": "reset", text: t("reset") });
    var prev = el("button", { type: "button", className: "sp-present__button", "data-sp-action": "prev",
      "aria-label": t("prev"), title: t("prev") }, [el("span", { "aria-hidden": "true", text: "←" })]);
    var next = el("button", { type: "button", className: "sp-present__button", "data-sp-action": "next",
      "aria-label": t("next"), title: t("next") }, [el("span", { "aria-hidden": "true", text: "→" })]);

    var currentFrame = el("div", { className: "sp-present__frame md-typeset" });
    var currentBox = el("div", { className: "sp-speaker__box sp-speaker__current" }, [currentFrame]);
    var nextFrame = el("div", { className: "sp-present__frame md-typeset" });
    var nextBox = el("div", { className: "sp-speaker__box sp-speaker__next" }, [nextFrame]);
    var notes = el("div", { className: "sp-speaker__notes md-typeset" });

    var root = el("main", { className: "sp-speaker", "aria-label": t("speaker") }, [
      el("header", { className: "sp-speaker__bar" }, [
        el("h1", { className: "sp-speaker__title", text: config.title || document.title }),
        counter,
        el("span", { className: "sp-speaker__time" }, [
          el("span", { className: "sp-speaker__label", text: t("clock") + " " }), wall]),
        el("span", { className: "sp-speaker__elapsed" }, [
          el("span", { className: "sp-speaker__label", text: t("elapsed") + " " }), clock, pace]),
        pause, reset, prev, next
      ]),
      el("section", { className: "sp-speaker__pane sp-speaker__pane--current", "aria-label": t("current") }, [
        el("h2", { className: "sp-speaker__label", text: t("current") }), currentBox]),
      el("section", { className: "sp-speaker__pane sp-speaker__pane--next", "aria-label": t("next_up") }, [
        el("h2", { className: "sp-speaker__label", text: t("next_up") }), nextBox]),
      el("section", { className: "sp-speaker__pane sp-speaker__pane--notes", "aria-label": config.notes || "Notes" }, [
        el("div", { className: "sp-speaker__notes-bar" }, [
          el("h2", { className: "sp-speaker__label", text: config.notes || "Notes" }), smaller, larger]), notes])
    ]);
    Array.prototype.forEach.call(document.body.children, function (child) {
      if (child.tagName !== "SCRIPT") child.hidden = true;
    });
    document.body.appendChild(root);

    function render(n, broadcast) {
      n = clamp(n);
      state.current = n;
      root.setAttribute("data-slide", String(n));
      counter.textContent = counterText(n);
      currentFrame.replaceChildren(slideClone(n));
      if (n < total) nextFrame.replaceChildren(slideClone(n + 1));
      else nextFrame.replaceChildren(el("p", { className: "sp-speaker__end", text: t("end") }));
      var source = sections[n - 1].querySelector(".sp-notes");
      if (source) {
        var copy = source.cloneNode(true);
        copy.removeAttribute("id");
        copy.removeAttribute("role");
        copy.className = "sp-speaker__notes-text";
        Array.prototype.forEach.call(copy.querySelectorAll("[id]"), function (node) { node.removeAttribute("id"); });
        notes.replaceChildren(copy);
      } else {
        notes.replaceChildren(el("p", { className: "sp-speaker__none", text: t("no_notes") }));
      }
      requestAnimationFrame(function () {
        fit(currentFrame, currentBox);
        fit(nextFrame, nextBox);
      });
      try { history.replaceState(null, "", location.pathname + "?speaker=" + n); } catch (e) { /* ignore */ }
      if (broadcast !== false) post({ type: "goto", slide: n });
      tick();
    }

    function tick() {
      var now = state.pausedAt || Date.now();
      var seconds = Math.max(0, Math.floor((now - state.started) / 1000));
      clock.textContent = duration(seconds);
      var time = new Date();
      wall.setAttribute("datetime", pad(time.getHours()) + ":" + pad(time.getMinutes()));
      wall.textContent = time.toLocaleTimeString(config.lang || undefined, { hour: "2-digit", minute: "2-digit" });
      if (planned) {
        // Pacing: where the talk should be by now if every slide took the same time.
        var due = planned * (state.current - 1) / total;
        var late = seconds - due;
        var kind = Math.abs(late) < 30 ? "on-time" : (late > 0 ? "behind" : "ahead");
        pace.setAttribute("data-pace", kind);
        pace.textContent = (kind === "on-time" ? t("on_time") : t(kind === "behind" ? "behind" : "ahead",
          { t: duration(Math.abs(late)) })) + " · " + t("planned", { t: duration(planned) });
      }
    }

    function notesSize(size) {
      state.notesSize = Math.min(2.5, Math.max(0.6, size));
      notes.style.fontSize = (0.9 * state.notesSize) + "rem";
      try { localStorage.setItem("slideproof:notes-size", String(state.notesSize)); } catch (e) { /* no storage */ }
    }
    notesSize(state.notesSize);

    root.addEventListener("click", function (event) {
      var button = event.target.closest("[data-sp-action]");
      if (!button) return;
      var action = button.getAttribute("data-sp-action");
      if (action === "prev") render(state.current - 1);
      else if (action === "next") render(state.current + 1);
      else if (action === "notes-larger") notesSize(state.notesSize + 0.15);
      else if (action === "notes-smaller") notesSize(state.notesSize - 0.15);
      else if (action === "reset") { state.started = Date.now(); if (state.pausedAt) state.pausedAt = state.started; tick(); }
      else if (action === "pause") {
        if (state.pausedAt) { state.started += Date.now() - state.pausedAt; state.pausedAt = null; pause.textContent = t("pause"); }
        else { state.pausedAt = Date.now(); pause.textContent = t("resume"); }
        tick();
      }
    });
    window.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event)) return;
      if (event.key === "+" || event.key === "=" || event.key === "-") {
        notesSize(state.notesSize + (event.key === "-" ? -0.15 : 0.15));
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      var target = keyTarget(event, state.current);
      if (target === null) return;
      if (event.key === " " && event.target.closest && event.target.closest("button, a")) return;
      event.preventDefault();
      event.stopImmediatePropagation();
      if (clamp(target) !== state.current) render(target);
    }, true);
    window.addEventListener("resize", function () {
      fit(currentFrame, currentBox);
      fit(nextFrame, nextBox);
    });
    if (channel) {
      channel.addEventListener("message", function (event) {
        var data = event.data || {};
        if ((data.type === "goto" || data.type === "state") && data.slide && data.slide !== state.current) {
          render(data.slide, false);
        }
      });
    }
    render(start, false);
    post({ type: "hello" });
    setInterval(tick, 1000);

    window.slideproof = {
      go: function (n) { render(n); },
      state: function () { return { speaker: true, slide: state.current, total: total }; }
    };
  }

  /* ---------------------------------------------------------------------------------- */
  /* ?print-pdf: one 16:9 page per slide (1280x720 CSS px), fitted like the presentation;
     &notes puts the slide's notes under it on the same page. */
  function printView(withNotes) {
    var root = document.documentElement;
    root.classList.add("sp-print-mode");
    if (withNotes) root.classList.add("sp-print-mode--notes");
    document.head.appendChild(el("style", { text: "@page { size: 1280px 720px; margin: 0; }" }));
    var pages = el("div", { className: "sp-print" });
    var frames = [];
    for (var n = 1; n <= total; n++) {
      var frame = el("div", { className: "sp-present__frame md-typeset" }, [slideClone(n)]);
      var stage = el("div", { className: "sp-print__stage" }, [frame]);
      var page = el("section", { className: "sp-print__page", "aria-label": counterText(n) }, [stage]);
      var source = sections[n - 1].querySelector(".sp-notes");
      if (withNotes && source) {
        var copy = source.cloneNode(true);
        copy.removeAttribute("id");
        copy.className = "sp-print__notes md-typeset";
        page.appendChild(copy);
      }
      frames.push([frame, stage]);
      pages.appendChild(page);
    }
    document.body.appendChild(pages);
    function layout() {
      frames.forEach(function (pair) { fit(pair[0], pair[1]); });
      Array.prototype.forEach.call(pages.querySelectorAll(".sp-print__notes"), function (notes) {
        var size = 16;  // px; long notes get smaller until they fit their part of the page
        notes.style.fontSize = size + "px";
        while (notes.scrollHeight > notes.clientHeight + 1 && size > 7) {
          size -= 0.5;
          notes.style.fontSize = size + "px";
        }
      });
    }
    layout();
    var images = Array.prototype.filter.call(pages.querySelectorAll("img"), function (img) { return !img.complete; });
    Promise.all(images.map(function (img) {
      return new Promise(function (done) { img.addEventListener("load", done); img.addEventListener("error", done); });
    }).concat([document.fonts ? document.fonts.ready : Promise.resolve()])).then(function () {
      layout();
      root.setAttribute("data-sp-print", "ready");  // for scripts that wait before printing
    });
  }
})();
