/*
 * slideproof presentation mode: one slide at a time, full screen, keyboard driven, with a
 * speaker view in a second window kept in step over a BroadcastChannel. No dependencies.
 *
 * The deck page has one <section class="sp-slide" id="slide-N"> per slide. Presenting
 * moves the live section into a dialog (so code-copy buttons etc. keep working) and puts
 * it back on leaving. URLs: #present-N opens presentation at slide N; #slide-N is the
 * slide on the page. The speaker view is this page opened with ?speaker=N; ?print-pdf lays
 * the deck out one slide per 16:9 page for the browser's print (add &notes for the notes).
 *
 * Reveal steps: on an incremental slide its list items, on any slide the elements marked
 * `.fragment` (attr_list: `{.fragment}`; a fragment code block brings its output along),
 * appear one at a time, in the order of the page. The page, the overview and the PDF show
 * every slide in its final state.
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
  // Besides keys and swipes, a deck may move on with clicks (taps) and the mouse wheel.
  var navigation = Array.isArray(config.navigation) ? config.navigation : ["click"];
  var IDLE_MS = 3000;  // the controls fade after this long without the mouse, a touch or focus

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }

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

  /* Small line icons (24x24, drawn with the text colour); the button's words name it. */
  var ICONS = {
    prev: "M19 12H5M11 6l-6 6 6 6",
    next: "M5 12h14M13 6l6 6-6 6",
    overview: "M4 4h7v7H4zM13 4h7v7h-7zM4 13h7v7H4zM13 13h7v7h-7z",
    fullscreen: "M4 9V4h5M15 4h5v5M20 15v5h-5M9 20H4v-5",
    speaker: "M3 4h18v12H3zM7 8h10M7 12h6M9 20h6M12 16v4",
    exit: "M6 6l12 12M18 6 6 18",
    pause: "M8 5v14M16 5v14",
    resume: "M7 5l12 7-12 7z",
    reset: "M4.5 9A8 8 0 1 1 4 13M4 4v5h5",
    help: "M9.2 9a3 3 0 1 1 4.3 2.7c-.9.5-1.5 1.2-1.5 2.3v.5M12 18.5v.5"
  };

  function icon(name) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("focusable", "false");
    svg.setAttribute("class", "sp-icon");
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", ICONS[name]);
    svg.appendChild(path);
    return svg;
  }

  /* A control: an icon and its words; on small screens only the icon shows, and the words
     stay its accessible name. */
  function control(action, label, iconName, attrs) {
    var button = el("button", Object.assign({ type: "button", className: "sp-present__button",
      "data-sp-action": action, "aria-label": label, title: label }, attrs || {}),
      [icon(iconName), el("span", { className: "sp-present__label", "aria-hidden": "true", text: label })]);
    return button;
  }

  function slideTitle(n) {
    var heading = sections[n - 1].querySelector("h1, h2, h3");
    if (!heading) return "";
    var copy = heading.cloneNode(true);
    each(copy.querySelectorAll(".headerlink"), function (a) { a.remove(); });
    return copy.textContent.trim();
  }

  function counterText(n) {
    var title = slideTitle(n);
    return t("counter", { n: n, total: total }) + (title ? ": " + title : "");
  }

  /* A copy of slide n without its notes and without ids (for previews). */
  function slideClone(n) {
    var copy = sections[n - 1].cloneNode(true);
    each(copy.querySelectorAll(".sp-notes, .sp-slide__present, .headerlink, .md-clipboard, .md-code__nav"),
      function (node) { node.remove(); });
    copy.removeAttribute("id");
    each(copy.querySelectorAll("[id]"), function (node) { node.removeAttribute("id"); });
    each(copy.querySelectorAll("a[href]"), function (a) { a.removeAttribute("href"); });
    each(copy.querySelectorAll("[tabindex]"), function (node) { node.removeAttribute("tabindex"); });
    each(copy.querySelectorAll("button, input, select, textarea"), function (node) { node.remove(); });
    each(copy.querySelectorAll(".sp-future"), function (node) { node.classList.remove("sp-future"); });
    copy.setAttribute("aria-hidden", "true");
    return copy;
  }

  /* The reveal steps of a slide (the live section or a copy of it), in page order. */
  function revealSteps(section) {
    var items = [];
    if (section.getAttribute("data-incremental") === "true") {
      items = Array.prototype.slice.call(section.querySelectorAll(":scope > ul > li, :scope > ol > li"));
    }
    each(section.querySelectorAll(".fragment"), function (node) {
      if (node.closest(".sp-notes")) return;
      // A code block comes with its output; a list item's text (attr_list marks its
      // paragraph) with its bullet.
      var block = node.closest(".sp-block");
      var step = block && section.contains(block) ? block
        : (node.matches("li > p:first-child") ? node.parentElement : node);
      if (items.indexOf(step) < 0) items.push(step);
    });
    return items.sort(function (a, b) {
      return a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1;
    });
  }

  /* Show the first `step` reveal steps of `section`, hide the rest (keeping their place). */
  function showSteps(section, step) {
    var items = revealSteps(section);
    step = Math.max(0, Math.min(step, items.length));
    items.forEach(function (item, i) { item.classList.toggle("sp-future", i >= step); });
    return step;
  }

  /* -- fitting a slide into its box --------------------------------------------------- */
  /* Code too wide for its box gets a smaller font (down to a readable minimum) and then
     wraps, each continued line marked; on a box smaller than the slide was designed for
     (a phone, a speaker-view pane) it wraps at once, since the whole slide is scaled down
     there already. Never clipped, never a scrollbar. */
  var MIN_CODE_SCALE = 0.7;
  var DESIGN_WIDTH = 40, DESIGN_RATIO = 9 / 16;  // rem, and height / width: a 16:9 slide
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
        each(node.childNodes, function (child) { walk(child, ancestors.concat([node])); });
      }
    }
    each(code.childNodes, function (child) { walk(child, []); });
    if (lines.length > 1 && !lines[lines.length - 1].childNodes.length) lines.pop();
    lines.forEach(function (line) { line.className = "sp-line"; });
    code.replaceChildren.apply(code, lines);
    code.classList.add("sp-wrap");
  }

  function unfitCode(root) {
    each(root.querySelectorAll("pre > code"), function (code) {
      if (originalCode.has(code)) {
        code.innerHTML = originalCode.get(code);
        originalCode.delete(code);
        code.classList.remove("sp-wrap");
      }
      code.style.fontSize = "";
    });
  }

  function fitCode(root, shrink) {
    unfitCode(root);
    each(root.querySelectorAll("pre > code"), function (code) {
      if (!tooWide(code)) return;
      if (shrink) {
        var base = parseFloat(getComputedStyle(code).fontSize) || 16;
        var size = base * Math.max(MIN_CODE_SCALE, code.clientWidth / code.scrollWidth);
        code.style.fontSize = size + "px";
        while (tooWide(code) && size > base * MIN_CODE_SCALE) {
          size = Math.max(base * MIN_CODE_SCALE, size * 0.95);
          code.style.fontSize = size + "px";
        }
      }
      if (tooWide(code)) {
        originalCode.set(code, code.innerHTML);
        wrapLines(code);
      }
    });
  }

  function rem() { return parseFloat(getComputedStyle(document.documentElement).fontSize) || 16; }

  /* Scale `frame` to fit inside `box`, centred. The frame is laid out at the width the slide
     was designed for (or the box's, when narrower); a slide limited by the box's height is
     laid out wider, where its text and wrapped code take fewer lines, as far as that makes
     it larger on screen. `search: false` skips that (many small thumbnails). In a box
     smaller than the designed slide, spacing is tighter (--compact) and code wraps at once. */
  function fit(frame, box, options) {
    options = options || {};
    frame.style.transform = "none";
    var boxWidth = box.clientWidth, boxHeight = box.clientHeight;
    if (!boxWidth || !boxHeight) return;
    var design = DESIGN_WIDTH * rem();
    var small = boxWidth < design || boxHeight < design * DESIGN_RATIO;
    frame.classList.toggle("sp-present__frame--compact", small);

    function measure(width) {
      frame.style.width = width + "px";
      fitCode(frame, !small);
      var w = Math.max(frame.offsetWidth, frame.scrollWidth), h = frame.scrollHeight;
      return { width: width, w: w, h: h, scale: w && h ? Math.min(boxWidth / w, boxHeight / h) : 0,
        tall: w && h ? boxHeight / h < boxWidth / w : false };
    }

    var best = measure(Math.min(design, boxWidth));
    if (!best.scale) return;
    if (best.tall && options.search !== false) {
      var low = best.width, high = boxWidth / Math.max(best.scale, 0.1);
      for (var i = 0; i < 7 && high - low > 4; i++) {
        var trial = measure((low + high) / 2);
        if (trial.scale > best.scale) best = trial;
        if (trial.tall) low = trial.width; else high = trial.width;
      }
      if (frame.style.width !== best.width + "px") best = measure(best.width);
    }
    var scale = Math.min(best.scale, options.maxScale || 3);
    var x = (boxWidth - best.w * scale) / 2, y = Math.max(0, (boxHeight - best.h * scale) / 2);
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

  /* Typing a slide number, then Enter, jumps there (both windows). `show` says what is
     typed so far; returns whether the key was taken. */
  function numberTyping(show) {
    var typed = "";
    return {
      key: function (event, jump) {
        if (/^[0-9]$/.test(event.key)) {
          typed = (typed + event.key).replace(/^0+/, "").slice(0, 4);
          show(typed ? t("goto", { n: typed }) : "");
          return true;
        }
        if (!typed) return false;
        var number = typed;
        if (event.key === "Backspace") {
          typed = typed.slice(0, -1);
          show(typed ? t("goto", { n: typed }) : "");
          return true;
        }
        typed = "";
        show("");
        if (event.key === "Enter") { jump(clamp(number)); return true; }
        return event.key === "Escape" || event.key === "Esc";  // Esc only forgets the number
      },
      active: function () { return !!typed; }
    };
  }

  /* `?`: the keys, in the deck's language (ui.keys: pairs of keys and what they do). */
  function keyHelp(onClose) {
    var rows = (Array.isArray(ui.keys) ? ui.keys : []).map(function (pair) {
      return el("tr", {}, [
        el("th", { scope: "row" }, String(pair[0]).split(" ").map(function (key) {
          return el("kbd", { text: key });
        })),
        el("td", { text: String(pair[1]) })
      ]);
    });
    var close = el("button", { type: "button", className: "sp-present__button sp-help__close",
      "aria-label": t("close"), title: t("close") }, [icon("exit")]);
    var panel = el("section", { className: "sp-help md-typeset", role: "dialog", tabindex: "-1",
      "aria-label": t("keys_title") }, [
      el("div", { className: "sp-help__head" }, [el("h2", { text: t("keys_title") }), close]),
      el("table", {}, [el("tbody", {}, rows)])
    ]);
    panel.hidden = true;
    close.addEventListener("click", function () { onClose(); });
    return panel;
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
    speakerView(clamp(params.get("speaker") || 1), Number(params.get("step")) || 0);
  } else if (params.has("print-pdf")) {
    printView(params.has("notes"));
  } else {
    deckPage();
  }

  /* ---------------------------------------------------------------------------------- */
  function deckPage() {
    var state = { presenting: false, current: 1, returnFocus: null, fullscreen: false, step: 0 };
    var dialog, stage, frame, counter, count, placeholder = null, status, progress, blank,
      overview, bar, presentHelp, idleTimer = null;
    var toolbar = document.querySelector(".sp-toolbar");
    var presentButton = document.querySelector("[data-sp-action=present]");
    var speakerButton = document.querySelector("[data-sp-action=speaker]");
    var keysButton = document.querySelector(".sp-toolbar [data-sp-action=keys]");
    var pageHelp = null;
    var typing = numberTyping(function (text) { if (status) status.textContent = text || endText(); });

    // Notes are a labelled region of the narrative (the label also shows in CSS).
    each(document.querySelectorAll(".sp-notes"), function (notes) {
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
    [presentButton, speakerButton, keysButton].forEach(function (node) { if (node) node.hidden = false; });
    // "Skip to content" leads to the deck's controls, which come before its first slide.
    var skip = document.querySelector(".md-skip");
    if (skip && toolbar && toolbar.id) skip.setAttribute("href", "#" + toolbar.id);

    function endText() { return state.current === total ? t("end") : ""; }

    function build() {
      if (dialog) return;
      count = el("span", { className: "sp-present__count", "aria-hidden": "true" });
      counter = el("span", { className: "sp-present__long" });
      var counterBox = el("p", { className: "sp-present__counter", "aria-live": "polite", "aria-atomic": "true" },
        [count, counter]);
      status = el("p", { className: "sp-present__status", role: "status" });
      frame = el("div", { className: "sp-present__frame md-typeset" });
      stage = el("div", { className: "sp-present__stage" }, [frame]);
      bar = el("div", { className: "sp-present__bar" }, [
        control("prev", t("prev"), "prev"),
        control("next", t("next"), "next"),
        counterBox, status,
        control("overview", t("overview"), "overview", { "aria-keyshortcuts": "o" }),
        control("fullscreen", t("fullscreen"), "fullscreen", { "aria-keyshortcuts": "f" }),
        control("speaker", t("speaker"), "speaker", { "aria-keyshortcuts": "s" }),
        control("keys", t("keys_title"), "help", { "aria-keyshortcuts": "?" }),
        control("exit", t("exit"), "exit", { "aria-keyshortcuts": "Escape" })
      ]);
      progress = el("div", { className: "sp-present__progress", role: "progressbar",
        "aria-label": t("progress"), "aria-valuemin": "1", "aria-valuemax": String(total) },
        [el("span", { className: "sp-present__progress-fill" })]);
      blank = el("div", { className: "sp-present__blank", role: "status", text: t("blank") });
      blank.hidden = true;
      overview = el("nav", { className: "sp-overview", "aria-label": t("overview") });
      overview.hidden = true;
      presentHelp = keyHelp(function () { closeHelp(presentHelp); });
      dialog = el("div", {
        className: "sp-present", role: "dialog", "aria-modal": "true", tabindex: "-1",
        "aria-label": t("presentation") + ": " + (config.title || document.title),
        "aria-roledescription": t("presentation")
      }, [stage, progress, bar, overview, presentHelp, blank]);
      dialog.hidden = true;
      dialog.addEventListener("click", function (event) {
        var button = event.target.closest("[data-sp-action]");
        if (!button) { clickZone(event); return; }
        var action = button.getAttribute("data-sp-action");
        if (action === "prev") back();
        else if (action === "next") forward();
        else if (action === "exit") leave();
        else if (action === "speaker") openSpeaker();
        else if (action === "overview") openOverview();
        else if (action === "fullscreen") toggleFullscreen();
        else if (action === "keys") toggleHelp(presentHelp);
        else if (action === "present") { closeOverview(); go(Number(button.getAttribute("data-slide"))); dialog.focus(); }
      });
      // The controls fade when the mouse rests; they come back on a move, a touch, or when
      // the keyboard focuses one of them.
      ["mousemove", "pointerdown", "touchstart"].forEach(function (type) {
        dialog.addEventListener(type, wake, { passive: true });
      });
      bar.addEventListener("focusin", wake);
      dialog.addEventListener("wheel", wheel, { passive: false });
      document.body.appendChild(dialog);
      window.addEventListener("resize", function () { if (state.presenting) fit(frame, stage); });
    }

    function wake() {
      if (!dialog || !state.presenting) return;
      dialog.removeAttribute("data-sp-idle");
      clearTimeout(idleTimer);
      idleTimer = setTimeout(function rest() {
        if (bar.contains(document.activeElement) && document.activeElement !== dialog) {
          idleTimer = setTimeout(rest, IDLE_MS);  // a focused control stays in sight
        } else if (state.presenting) {
          dialog.setAttribute("data-sp-idle", "");
        }
      }, IDLE_MS);
    }

    /* Click (tap) zones: the left third of the slide goes back, the rest goes on. Links,
       buttons, code being selected and the overview keep their own clicks. */
    function clickZone(event) {
      if (navigation.indexOf("click") < 0 || !stage.contains(event.target)) return;
      if (event.target.closest("a, button, summary, input, label, select, textarea")) return;
      var selection = window.getSelection && window.getSelection();
      if (selection && !selection.isCollapsed && String(selection).trim()) return;
      var box = stage.getBoundingClientRect();
      if (event.clientX < box.left + box.width / 3) back(); else forward();
    }

    /* The mouse wheel: one step per gesture (a trackpad sends many events for one swipe). */
    var wheelBusy = false, wheelQuiet = null;
    function wheel(event) {
      if (navigation.indexOf("wheel") < 0 || !overview.hidden || !presentHelp.hidden) return;
      event.preventDefault();
      clearTimeout(wheelQuiet);
      wheelQuiet = setTimeout(function () { wheelBusy = false; }, 250);
      if (wheelBusy || !event.deltaY || Math.abs(event.deltaY) < Math.abs(event.deltaX)) return;
      wheelBusy = true;
      if (event.deltaY > 0) forward(); else back();
    }

    function unmount() {  // put the presented slide back on the page, as it was
      if (!placeholder) return;
      var section = frame.firstChild;
      unfitCode(section);
      frame.style.width = "";
      each(section.querySelectorAll(".sp-future"), function (item) { item.classList.remove("sp-future"); });
      placeholder.parentNode.replaceChild(section, placeholder);
      placeholder = null;
    }

    function mount(n) {
      unmount();
      var section = sections[n - 1];
      placeholder = document.createComment("sp-slide-" + n);
      section.parentNode.replaceChild(placeholder, section);
      frame.appendChild(section);
      each(section.querySelectorAll("img"), function (img) {
        if (!img.complete) img.addEventListener("load", function () { fit(frame, stage); }, { once: true });
      });
    }

    function setHash(hash) {
      try { history.replaceState(history.state, "", location.pathname + location.search + hash); }
      catch (e) { /* file:// in some browsers */ }
    }

    function stepCount(n) { return revealSteps(sections[n - 1]).length; }

    function reveal(step, options) {
      state.step = showSteps(sections[state.current - 1], step);
      if (!options || options.broadcast !== false) announce();
    }

    function announce() { post({ type: "goto", slide: state.current, step: state.step }); }

    function forward() {
      if (state.step < stepCount(state.current)) reveal(state.step + 1);
      else go(state.current + 1);
    }

    function back() {
      if (state.step > 0) reveal(state.step - 1);
      else if (state.current > 1) show(state.current - 1, { step: stepCount(state.current - 1) });
    }

    /* Slide n, at reveal step options.step (default: none shown yet). */
    function show(n, options) {
      options = options || {};
      n = clamp(n);
      state.current = n;
      mount(n);
      state.step = showSteps(sections[n - 1], options.step || 0);
      fit(frame, stage);  // laid out with every step in place (hidden ones keep their room)
      progress.setAttribute("aria-valuenow", String(n));
      progress.setAttribute("aria-valuetext", t("counter", { n: n, total: total }));
      progress.firstChild.style.width = (100 * n / total) + "%";
      counter.textContent = counterText(n);
      count.textContent = n + "/" + total;
      dialog.setAttribute("data-slide", String(n));
      status.textContent = endText();
      setHash("#present-" + n);
      if (options.broadcast !== false) announce();
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
        each(document.body.children, function (child) {
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
        wake();
      }
      show(n, options);
      dialog.focus();
    }

    function leave(options) {
      if (!state.presenting) return;
      state.presenting = false;
      clearTimeout(idleTimer);
      dialog.removeAttribute("data-sp-idle");
      closeOverview();
      closeHelp(presentHelp, { focus: false });
      blank.hidden = true;
      unmount();
      dialog.hidden = true;
      document.documentElement.classList.remove("sp-presenting");
      each(document.querySelectorAll("[data-sp-inert]"), function (child) {
        if (child.getAttribute("data-sp-inert") === "set") child.inert = false;
        child.removeAttribute("data-sp-inert");
      });
      if (document.fullscreenElement) {
        document.exitFullscreen().catch(function () { /* already out */ });
      }
      state.fullscreen = false;
      setHash("#slide-" + state.current);
      var section = sections[state.current - 1];
      if (!options || options.scroll !== false) {
        // On the first slide, the page from its top: its title and the deck's controls too.
        if (state.current === 1) window.scrollTo(0, 0);
        else section.scrollIntoView({ block: "start" });
      }
      // Focus goes back where it came from when that is in sight; else to the slide the
      // page now shows (its "present from here" link), so the focus is never off screen.
      var back = state.returnFocus && document.contains(state.returnFocus) &&
        state.returnFocus !== document.body && inView(state.returnFocus)
        ? state.returnFocus : section.querySelector(".sp-slide__present");
      if (back && back.focus) {
        back.focus({ preventScroll: true });
        // Chrome may not see the page as focusable again until it recomputes styles.
        if (document.activeElement !== back) {
          setTimeout(function () { back.focus({ preventScroll: true }); }, 0);
        }
      }
      post({ type: "left", slide: state.current });
    }

    function inView(node) {
      var box = node.getBoundingClientRect();
      var header = document.querySelector(".md-header");
      var top = header ? header.getBoundingClientRect().bottom : 0;
      return box.width > 0 && box.top >= top && box.bottom <= window.innerHeight;
    }

    function openSpeaker() {
      if (!state.presenting) enter(state.current);
      var url = location.pathname + "?speaker=" + state.current + (state.step ? "&step=" + state.step : "");
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

    /* The key help (?), in the presentation or over the page. */
    function toggleHelp(panel) {
      if (!panel.hidden) { closeHelp(panel); return; }
      panel.returnFocus = document.activeElement;
      panel.hidden = false;
      panel.focus();
    }

    function closeHelp(panel, options) {
      if (!panel || panel.hidden) return;
      panel.hidden = true;
      if (options && options.focus === false) return;
      var back = panel.returnFocus && document.contains(panel.returnFocus) ? panel.returnFocus
        : (state.presenting ? dialog : keysButton);
      if (back && back.focus) back.focus({ preventScroll: true });
    }

    function openPageHelp() {
      if (!pageHelp) {
        pageHelp = keyHelp(function () { closeHelp(pageHelp); });
        pageHelp.classList.add("sp-help--page");
        pageHelp.addEventListener("keydown", function (event) {
          if (event.key === "Escape" || event.key === "Esc") { event.preventDefault(); closeHelp(pageHelp); }
        });
        document.body.appendChild(pageHelp);
      }
      toggleHelp(pageHelp);
    }
    if (keysButton) keysButton.addEventListener("click", openPageHelp);

    /* The overview (o): every slide as a small rendering with its title; arrows move, Enter presents. */
    function overviewTiles() { return Array.prototype.slice.call(overview.querySelectorAll(".sp-overview__tile")); }

    function openOverview() {
      if (!overview.hidden) { closeOverview(); return; }
      blank.hidden = true;
      closeHelp(presentHelp, { focus: false });
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
        fit(thumb.firstChild, thumb, { search: false });
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
        if (isTyping(event) || document.documentElement.querySelector("[data-md-toggle=search]:checked")) return;
        if (pageHelp && !pageHelp.hidden && pageHelp.contains(event.target)) return;
        if (key === "p" || key === "s" || key === "f" || key === "?") {
          event.preventDefault();
          event.stopImmediatePropagation();
          if (key === "s") openSpeaker();
          else if (key === "?") openPageHelp();
          else enter(currentSlideOnPage(), { fullscreen: true });
        }
        return;
      }
      if (!overview.hidden) { overviewKey(event); return; }
      if (["Shift", "Control", "Alt", "Meta"].indexOf(event.key) >= 0) return;
      if (!presentHelp.hidden && event.key !== "Tab" && !(event.key === "Enter" && event.target.closest("button"))) {
        closeHelp(presentHelp);  // any key closes the key help (? and Esc included)
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      if (!blank.hidden && event.key !== "Tab") {
        blank.hidden = true;  // any key brings the slide back (b and . included)
        event.preventDefault();
        event.stopImmediatePropagation();
        return;
      }
      if (typing.key(event, function (n) { if (n !== state.current) show(n); })) {
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
      } else if (event.key === "?") {
        toggleHelp(presentHelp);
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
      var scope = !presentHelp.hidden ? presentHelp : dialog;
      var focusable = Array.prototype.filter.call(
        scope.querySelectorAll("a[href], button, [tabindex]:not([tabindex='-1']), input, select, textarea"),
        function (node) { return !node.disabled && node.offsetParent !== null; });
      if (!focusable.length) { event.preventDefault(); return; }
      var first = focusable[0], last = focusable[focusable.length - 1];
      if (event.shiftKey && (document.activeElement === first || document.activeElement === scope)) {
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
          var quiet = { broadcast: false, step: data.step || 0 };
          if (!state.presenting) enter(data.slide, quiet);
          else if (data.slide !== state.current) show(data.slide, quiet);
          else if ((data.step || 0) !== state.step) reveal(data.step || 0, quiet);
        } else if (data.type === "hello") {
          post({ type: "state", slide: state.current, step: state.step, presenting: state.presenting });
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
          steps: state.presenting ? stepCount(state.current) : 0,
          overview: !!overview && !overview.hidden, blank: !!blank && !blank.hidden,
          help: !!presentHelp && !presentHelp.hidden || !!pageHelp && !pageHelp.hidden,
          idle: !!dialog && dialog.hasAttribute("data-sp-idle") };
      }
    };
  }

  /* ---------------------------------------------------------------------------------- */
  function speakerView(start, startStep) {
    // The timer lives in this window's session: a reload of the speaker view keeps it.
    var TIMER_KEY = "slideproof:timer:" + location.pathname;
    var state = { current: start, step: 0, started: Date.now(), pausedAt: null, notesSize: 1 };
    var planned = Number(config.duration) > 0 ? Number(config.duration) * 60 : 0;  // seconds
    try { state.notesSize = Number(localStorage.getItem("slideproof:notes-size")) || 1; } catch (e) { /* no storage */ }
    try {
      var saved = JSON.parse(sessionStorage.getItem(TIMER_KEY) || "null");
      if (saved && typeof saved.started === "number" && saved.started <= Date.now()) {
        state.started = saved.started;
        state.pausedAt = typeof saved.pausedAt === "number" ? saved.pausedAt : null;
      }
    } catch (e) { /* no storage */ }
    document.title = t("speaker") + " — " + (config.title || document.title);
    document.documentElement.classList.add("sp-speaker-mode");

    function saveTimer() {
      try { sessionStorage.setItem(TIMER_KEY, JSON.stringify({ started: state.started, pausedAt: state.pausedAt })); }
      catch (e) { /* no storage */ }
    }
    saveTimer();

    var counter = el("p", { className: "sp-speaker__counter", "aria-live": "polite", "aria-atomic": "true" });
    var clock = el("span", { className: "sp-speaker__clock", role: "timer", "aria-label": t("elapsed") });
    var wall = el("time", { className: "sp-speaker__wall", "aria-label": t("clock") });
    var pace = el("span", { className: "sp-speaker__pace" });
    var typed = el("span", { className: "sp-speaker__typed", role: "status" });
    var smaller = el("button", { type: "button", className: "sp-present__button", "data-sp-action": "notes-smaller",
      "aria-label": t("notes_smaller"), title: t("notes_smaller"), "aria-keyshortcuts": "-" },
      [el("span", { "aria-hidden": "true", text: "A−" })]);
    var larger = el("button", { type: "button", className: "sp-present__button", "data-sp-action": "notes-larger",
      "aria-label": t("notes_larger"), title: t("notes_larger"), "aria-keyshortcuts": "+" },
      [el("span", { "aria-hidden": "true", text: "A+" })]);
    var pause = control("pause", t("pause"), "pause");
    var reset = control("reset", t("reset"), "reset");
    var prev = control("prev", t("prev"), "prev");
    var next = control("next", t("next"), "next");
    var help = keyHelp(function () { help.hidden = true; root.focus(); });

    var currentFrame = el("div", { className: "sp-present__frame md-typeset" });
    var currentBox = el("div", { className: "sp-speaker__box sp-speaker__current" }, [currentFrame]);
    var nextFrame = el("div", { className: "sp-present__frame md-typeset" });
    var nextBox = el("div", { className: "sp-speaker__box sp-speaker__next" }, [nextFrame]);
    var nextLabel = el("h2", { className: "sp-speaker__label", text: t("next_up") });
    var notes = el("div", { className: "sp-speaker__notes md-typeset" });

    var root = el("main", { className: "sp-speaker", "aria-label": t("speaker"), tabindex: "-1" }, [
      el("header", { className: "sp-speaker__bar" }, [
        el("h1", { className: "sp-speaker__title", text: config.title || document.title }),
        counter, typed,
        el("span", { className: "sp-speaker__time" }, [
          el("span", { className: "sp-speaker__label", text: t("clock") + " " }), wall]),
        el("span", { className: "sp-speaker__elapsed" }, [
          el("span", { className: "sp-speaker__label", text: t("elapsed") + " " }), clock, pace]),
        el("span", { className: "sp-speaker__controls" }, [pause, reset, prev, next])
      ]),
      el("section", { className: "sp-speaker__pane sp-speaker__pane--current", "aria-label": t("current") }, [
        el("h2", { className: "sp-speaker__label", text: t("current") }), currentBox]),
      el("section", { className: "sp-speaker__pane sp-speaker__pane--next", "aria-label": t("next_up") }, [
        nextLabel, nextBox]),
      el("section", { className: "sp-speaker__pane sp-speaker__pane--notes", "aria-label": config.notes || "Notes" }, [
        el("div", { className: "sp-speaker__notes-bar" }, [
          el("h2", { className: "sp-speaker__label", text: config.notes || "Notes" }), smaller, larger]), notes]),
      help
    ]);
    each(document.body.children, function (child) {
      if (child.tagName !== "SCRIPT") child.hidden = true;
    });
    document.body.appendChild(root);

    function stepsOf(n) { return revealSteps(sections[n - 1]).length; }

    /* Slide n at reveal step `step`: the current pane shows what the audience sees, the
       next pane what the next key press brings (the next step, else the next slide). */
    function render(n, step, broadcast) {
      n = clamp(n);
      var steps = stepsOf(n);
      state.current = n;
      state.step = Math.max(0, Math.min(step || 0, steps));
      root.setAttribute("data-slide", String(n));
      root.setAttribute("data-step", String(state.step));
      // (the slide's title is in its pane; the header keeps to one row)
      counter.textContent = t("counter", { n: n, total: total }) +
        (steps ? " · " + t("step", { n: state.step, total: steps }) : "");
      var current = slideClone(n);
      showSteps(current, state.step);
      currentFrame.replaceChildren(current);
      if (state.step < steps) {
        var upcoming = slideClone(n);
        var items = revealSteps(upcoming);
        showSteps(upcoming, state.step + 1);
        items[state.step].classList.add("sp-next-step");
        nextFrame.replaceChildren(upcoming);
        nextLabel.textContent = t("next_step") + " · " + t("step", { n: state.step + 1, total: steps });
      } else if (n < total) {
        var following = slideClone(n + 1);
        showSteps(following, 0);
        nextFrame.replaceChildren(following);
        nextLabel.textContent = t("next_up");
      } else {
        nextFrame.replaceChildren(el("p", { className: "sp-speaker__end", text: t("end") }));
        nextLabel.textContent = t("next_up");
      }
      var source = sections[n - 1].querySelector(".sp-notes");
      if (source) {
        var copy = source.cloneNode(true);
        copy.removeAttribute("id");
        copy.removeAttribute("role");
        copy.className = "sp-speaker__notes-text";
        each(copy.querySelectorAll("[id]"), function (node) { node.removeAttribute("id"); });
        notes.replaceChildren(copy);
      } else {
        notes.replaceChildren(el("p", { className: "sp-speaker__none", text: t("no_notes") }));
      }
      requestAnimationFrame(function () {
        fit(currentFrame, currentBox);
        fit(nextFrame, nextBox);
      });
      try {
        history.replaceState(null, "", location.pathname + "?speaker=" + n + (state.step ? "&step=" + state.step : ""));
      } catch (e) { /* ignore */ }
      if (broadcast !== false) post({ type: "goto", slide: n, step: state.step });
      tick();
    }

    function forward() {
      if (state.step < stepsOf(state.current)) render(state.current, state.step + 1);
      else if (state.current < total) render(state.current + 1, 0);
    }

    function back() {
      if (state.step > 0) render(state.current, state.step - 1);
      else if (state.current > 1) render(state.current - 1, stepsOf(state.current - 1));
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

    function setPaused(paused) {
      if (!paused && state.pausedAt) { state.started += Date.now() - state.pausedAt; state.pausedAt = null; }
      else if (paused && !state.pausedAt) state.pausedAt = Date.now();
      var word = t(state.pausedAt ? "resume" : "pause");
      pause.replaceChildren(icon(state.pausedAt ? "resume" : "pause"),
        el("span", { className: "sp-present__label", "aria-hidden": "true", text: word }));
      pause.setAttribute("aria-label", word);
      pause.setAttribute("title", word);
      saveTimer();
      tick();
    }
    if (state.pausedAt) setPaused(true);

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
      if (action === "prev") back();
      else if (action === "next") forward();
      else if (action === "notes-larger") notesSize(state.notesSize + 0.15);
      else if (action === "notes-smaller") notesSize(state.notesSize - 0.15);
      else if (action === "reset") {
        state.started = Date.now();
        if (state.pausedAt) state.pausedAt = state.started;
        saveTimer();
        tick();
      }
      else if (action === "pause") setPaused(!state.pausedAt);
    });
    var typing = numberTyping(function (text) { typed.textContent = text; });
    window.addEventListener("keydown", function (event) {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event)) return;
      if (["Shift", "Control", "Alt", "Meta"].indexOf(event.key) >= 0) return;
      if (!help.hidden) {
        if (event.key === "Tab" || (event.key === "Enter" && event.target.closest("button"))) return;
        help.hidden = true;
        root.focus();
      } else if (event.key === "?") {
        help.hidden = false;
        help.focus();
      } else if (typing.key(event, function (n) { render(n, 0); })) {
        /* taken */
      } else if (event.key === "+" || event.key === "=" || event.key === "-") {
        notesSize(state.notesSize + (event.key === "-" ? -0.15 : 0.15));
      } else {
        var target = keyTarget(event, state.current);
        if (target === null) return;
        if (event.key === " " && event.target.closest && event.target.closest("button, a")) return;
        if (target === state.current + 1 && event.key !== "End") forward();
        else if (target === state.current - 1 && event.key !== "Home") back();
        else if (clamp(target) !== state.current) render(target, 0);
      }
      event.preventDefault();
      event.stopImmediatePropagation();
    }, true);
    window.addEventListener("resize", function () {
      fit(currentFrame, currentBox);
      fit(nextFrame, nextBox);
    });
    if (channel) {
      channel.addEventListener("message", function (event) {
        var data = event.data || {};
        if ((data.type === "goto" || data.type === "state") && data.slide &&
            (data.slide !== state.current || (data.step || 0) !== state.step)) {
          render(data.slide, data.step || 0, false);
        }
      });
    }
    render(start, startStep, false);
    post({ type: "hello" });
    setInterval(tick, 1000);

    window.slideproof = {
      go: function (n) { render(n, 0); },
      state: function () {
        return { speaker: true, slide: state.current, step: state.step, steps: stepsOf(state.current), total: total };
      }
    };
  }

  /* ---------------------------------------------------------------------------------- */
  /* ?print-pdf: one 16:9 page per slide (1280x720 CSS px), fitted like the presentation, in
     its final state (every reveal step shown), numbered; &notes puts the slide's notes
     under it on the same page. */
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
      var page = el("section", { className: "sp-print__page", "aria-label": counterText(n) }, [stage,
        el("span", { className: "sp-print__number", "aria-hidden": "true", text: n + " / " + total })]);
      var source = sections[n - 1].querySelector(".sp-notes");
      if (withNotes && source) {
        var copy = source.cloneNode(true);
        copy.removeAttribute("id");
        copy.className = "sp-print__notes md-typeset";
        page.insertBefore(copy, page.lastChild);
      }
      frames.push([frame, stage]);
      pages.appendChild(page);
    }
    document.body.appendChild(pages);
    function layout() {
      frames.forEach(function (pair) { fit(pair[0], pair[1]); });
      each(pages.querySelectorAll(".sp-print__notes"), function (notes) {
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
