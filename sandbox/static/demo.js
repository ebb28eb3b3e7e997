/* ShopWatch local demo: act as a persona and chat with the real bot through the sandbox.
 *
 * Talks only to the same origin: /_demo/personas (who is who), /_demo/files/<id> (photo
 * thumbnails) and the sandbox control API under /_sandbox/ (transcripts, sending as a user,
 * pressing inline buttons, the live event stream). No build step, no external assets.
 */
"use strict";

(() => {
  const DEFAULT_LOCATION = {
    latitude: 52.4776,
    longitude: -0.9208,
    label: "Market Harborough town centre",
  };
  const EVENT_KINDS = [
    "message_new",
    "message_edited",
    "message_deleted",
    "callback_answer",
    "chat_action",
    "member_changed",
  ];
  const ACTION_TEXT = {
    typing: "typing…",
    upload_photo: "sending a photo…",
    upload_document: "sending a file…",
    find_location: "choosing a location…",
    record_voice: "recording a voice message…",
    upload_voice: "sending a voice message…",
    upload_video: "sending a video…",
    record_video: "recording a video…",
    choose_sticker: "choosing a sticker…",
  };
  const PRESENT = new Set(["creator", "administrator", "member"]);
  const MAX_PHOTO_BYTES = 10 * 1024 * 1024;

  const state = {
    bot: { id: null, username: "", name: "Bot" },
    botRef: null, // the bot id to pass to the control API (null: the sandbox's default bot)
    personas: [],
    groups: [],
    defaultLocation: DEFAULT_LOCATION,
    active: null, // {type: "user" | "group", id}
    actingAs: null, // the persona's user id doing the talking
    groupActor: new Map(), // group id -> user id last used there
    groupMembers: new Map(), // group id -> Set of present user ids
    chats: new Map(), // chat id -> {messages: Map(message_id -> entry), loaded}
    unread: new Map(), // chat id -> count
    collapsedKb: new Map(), // chat id -> message id of the keyboard the user closed
    pending: new Map(), // callback query id -> {button, timer}
    rows: new Map(), // message id -> {key, nodes} for the active chat's DOM
    daySeps: new Map(),
    lastSeq: 0,
    typingTimer: null,
    typingText: "",
    loadToken: 0,
  };

  const $ = (id) => document.getElementById(id);

  /* ------------------------------------------------------------------ helpers */

  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function initials(name) {
    const parts = String(name || "?").trim().split(/\s+/).filter(Boolean);
    const letters = parts.length > 1 ? parts[0][0] + parts[parts.length - 1][0] : Array.from(parts[0] || "?")[0];
    return letters.toUpperCase();
  }

  function hue(id) {
    return String(Math.abs(Number(id) || 0) % 7);
  }

  function avatar(name, id, extra) {
    return h("span", { class: `avatar ${extra || ""}`.trim(), "data-hue": hue(id), "aria-hidden": "true" }, initials(name));
  }

  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  function fmtTime(unix) {
    return new Date(unix * 1000).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function fmtDay(unix) {
    const d = new Date(unix * 1000);
    const today = new Date();
    if (d.toDateString() === today.toDateString()) return "Today";
    return d.toLocaleDateString([], { weekday: "short", day: "numeric", month: "long" });
  }

  function fmtCoord(n) {
    return String(Number(Number(n).toFixed(5)));
  }

  function persona(uid) {
    return state.personas.find((p) => p.user_id === uid) || null;
  }

  function group(gid) {
    return state.groups.find((g) => g.chat_id === gid) || null;
  }

  function activeChatId() {
    return state.active ? state.active.id : null;
  }

  function chatOf(chatId) {
    let chat = state.chats.get(chatId);
    if (!chat) {
      chat = { messages: new Map(), loaded: false };
      state.chats.set(chatId, chat);
    }
    return chat;
  }

  /* ------------------------------------------------------------------ control API */

  async function api(method, path, body, params) {
    let url = path;
    if (params) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(params)) {
        if (value !== null && value !== undefined) query.set(key, String(value));
      }
      const qs = query.toString();
      if (qs) url += "?" + qs;
    }
    const init = { method, headers: { Accept: "application/json" } };
    if (body !== undefined) {
      const clean = {};
      for (const [key, value] of Object.entries(body)) {
        if (value !== null && value !== undefined) clean[key] = value;
      }
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(clean);
    }
    const resp = await fetch(url, init);
    let data;
    try {
      data = await resp.json();
    } catch (_) {
      throw new Error(`HTTP ${resp.status} ${resp.statusText}`);
    }
    if (!data || !data.ok) throw new Error((data && data.error) || `HTTP ${resp.status}`);
    return data.result;
  }

  function getTranscript(chatId) {
    return api("GET", `/_sandbox/chats/${chatId}/transcript`, undefined, { bot: state.botRef });
  }

  function sendAs(uid, chatId, content) {
    const body = Object.assign({ bot: state.botRef }, content);
    if (chatId < 0) body.chat_id = chatId;
    return api("POST", `/_sandbox/users/${uid}/send`, body);
  }

  function pressAs(uid, chatId, messageId, data) {
    const body = { bot: state.botRef, message_id: messageId, data };
    if (chatId < 0) body.chat_id = chatId;
    return api("POST", `/_sandbox/users/${uid}/press`, body);
  }

  function getGroup(gid) {
    return api("GET", `/_sandbox/groups/${gid}`);
  }

  function listBots() {
    return api("GET", "/_sandbox/bots");
  }

  function pollEvents(since, timeout) {
    return api("GET", "/_sandbox/events/poll", undefined, { since, timeout });
  }

  function photoUrl(fileId) {
    return `/_demo/files/${encodeURIComponent(fileId)}`;
  }

  /* ------------------------------------------------------------------ toasts & status */

  function toast(text, kind, sticky) {
    const box = $("toasts");
    const close = () => el.remove();
    const el = h(
      "div",
      { class: `toast ${kind || ""}`.trim(), role: kind === "error" || kind === "alert" ? "alert" : "status" },
      h("span", {}, text),
      h("button", { type: "button", onclick: close, "aria-label": "Dismiss" }, kind === "alert" ? "OK" : "✕"),
    );
    box.append(el);
    if (!sticky) setTimeout(close, kind === "error" ? 7000 : 3500);
    return el;
  }

  function showError(err) {
    toast(String((err && err.message) || err), "error");
  }

  function setConn(mode) {
    const el = $("conn");
    const text = { live: "Live", polling: "Live (polling)", offline: "Reconnecting…", connecting: "Connecting…" };
    el.dataset.state = mode;
    el.querySelector(".conn-text").textContent = text[mode] || mode;
  }

  /* ------------------------------------------------------------------ text & entities */

  function safeHref(url) {
    try {
      const u = new URL(url, window.location.href);
      if (["http:", "https:", "mailto:", "tel:"].includes(u.protocol)) return u.href;
    } catch (_) {
      /* not a URL */
    }
    return null;
  }

  function entityNode(entity, slice, commands) {
    switch (entity.type) {
      case "bold":
        return h("strong");
      case "italic":
        return h("em");
      case "underline":
        return h("u");
      case "strikethrough":
        return h("s");
      case "code":
        return h("code");
      case "pre":
        return h("pre", { "data-language": entity.language || null });
      case "blockquote":
      case "expandable_blockquote":
        return h("blockquote");
      case "spoiler": {
        const el = h("span", { class: "spoiler", title: "Spoiler — click to reveal" });
        el.addEventListener("click", () => el.classList.add("revealed"));
        return el;
      }
      case "text_link": {
        const href = safeHref(entity.url);
        return href ? h("a", { href, target: "_blank", rel: "noopener noreferrer" }) : h("span");
      }
      case "url": {
        const href = safeHref(/^[a-z]+:/i.test(slice) ? slice : "https://" + slice);
        return href ? h("a", { href, target: "_blank", rel: "noopener noreferrer" }) : h("span");
      }
      case "email":
        return h("a", { href: "mailto:" + slice });
      case "phone_number":
        return h("a", { href: "tel:" + slice.replace(/[^+\d]/g, "") });
      case "bot_command":
        if (commands) {
          return h("button", { type: "button", class: "cmd", title: `Send ${slice}`, onclick: () => sendText(slice) });
        }
        return h("span", { class: "mention" });
      case "mention":
      case "text_mention":
      case "cashtag":
        return h("span", { class: "mention" });
      case "hashtag":
        return h("span", { class: "hashtag" });
      default:
        return null;
    }
  }

  const AUTO_RE = /(^|[\s(])(\/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{5,32})?)(?![\w/])|(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])|(^|[\s(])(@[A-Za-z0-9_]{5,32})\b/g;

  /** Plain text, with the commands, links and @mentions Telegram would detect by itself. */
  function appendAuto(parent, str, commands) {
    let last = 0;
    AUTO_RE.lastIndex = 0;
    for (let m = AUTO_RE.exec(str); m; m = AUTO_RE.exec(str)) {
      const lead = m[1] || m[4] || "";
      const start = m.index + lead.length;
      const token = m[2] || m[3] || m[5];
      parent.append(str.slice(last, start));
      let node;
      if (m[2]) node = entityNode({ type: "bot_command" }, token, commands);
      else if (m[3]) node = entityNode({ type: "url" }, token, commands);
      else node = entityNode({ type: "mention" }, token, commands);
      node.textContent = token;
      parent.append(node);
      last = start + token.length;
    }
    parent.append(str.slice(last));
  }

  /** Text with Telegram entities as nested elements (offsets are UTF-16, like JS strings). */
  function renderText(text, entities, commands) {
    const frag = document.createDocumentFragment();
    const list = (entities || [])
      .filter((e) => e && e.length > 0 && e.offset >= 0 && e.offset < text.length)
      .map((e) => ({ ...e, end: Math.min(text.length, e.offset + e.length) }))
      .sort((a, b) => a.offset - b.offset || b.end - a.end);

    const plain = (parent, str, raw) => (raw ? parent.append(str) : appendAuto(parent, str, commands));

    function build(parent, start, end, items, raw) {
      let pos = start;
      let i = 0;
      while (i < items.length) {
        const e = items[i];
        if (e.offset < pos) {
          i += 1; // overlaps a sibling: Telegram forbids it, so skip rather than mangle
          continue;
        }
        const eEnd = Math.min(e.end, end);
        if (e.offset > pos) plain(parent, text.slice(pos, e.offset), raw);
        const children = [];
        let j = i + 1;
        while (j < items.length && items[j].offset < eEnd) {
          children.push(items[j]);
          j += 1;
        }
        const node = entityNode(e, text.slice(e.offset, eEnd), commands);
        const verbatim = raw || ["code", "pre", "url", "text_link", "email", "bot_command", "mention", "hashtag", "cashtag", "text_mention", "phone_number"].includes(e.type);
        if (node) {
          const inner = node.tagName === "PRE" ? node.appendChild(h("code")) : node;
          build(inner, e.offset, eEnd, children, verbatim);
          parent.append(node);
        } else {
          build(parent, e.offset, eEnd, children, verbatim);
        }
        pos = eEnd;
        i = j;
      }
      if (pos < end) plain(parent, text.slice(pos, end), raw);
    }

    build(frag, 0, text.length, list, false);
    return frag;
  }

  /* ------------------------------------------------------------------ messages */

  function senderName(msg) {
    const s = msg.sender || {};
    if (s.role === "bot") return state.bot.name || s.name || "Bot";
    if (s.sender_chat) return s.sender_chat.title || s.name || "Group";
    const p = persona(s.id);
    return (p && p.name) || s.name || "Someone";
  }

  function fromOf(msg) {
    const s = msg.sender || {};
    if (s.role === "bot") return "bot";
    if (s.sender_chat) return "other";
    return s.id === state.actingAs ? "me" : "other";
  }

  function snippet(msg) {
    if (!msg) return "Message";
    if (msg.deleted) return "Deleted message";
    const body = msg.text || msg.caption;
    if (body) return body.split("\n")[0];
    const media = msg.media || {};
    if (media.photo) return "🖼️ Photo";
    if (media.location) return "📍 Location";
    if (media.contact) return "👤 Contact";
    if (media.document) return "📄 " + (media.document.file_name || "File");
    if (media.sticker) return (media.sticker.emoji || "") + " Sticker";
    if (media.voice) return "🎤 Voice message";
    return "Message";
  }

  function serviceText(msg) {
    const svc = msg.service || {};
    const who = senderName(msg);
    const nameOf = (u) => {
      if (!u) return "Someone";
      if (state.bot.id && u.id === state.bot.id) return state.bot.name;
      const p = persona(u.id);
      return (p && p.name) || [u.first_name, u.last_name].filter(Boolean).join(" ") || "Someone";
    };
    if (svc.new_chat_members) {
      const names = svc.new_chat_members.map(nameOf).join(", ");
      const self = svc.new_chat_members.length === 1 && svc.new_chat_members[0].id === (msg.sender || {}).id;
      return self ? `${names} joined the group` : `${who} added ${names}`;
    }
    if (svc.left_chat_member) {
      const gone = nameOf(svc.left_chat_member);
      return svc.left_chat_member.id === (msg.sender || {}).id ? `${gone} left the group` : `${who} removed ${gone}`;
    }
    if (svc.pinned_message) return `${who} pinned “${snippet(svc.pinned_message)}”`;
    if (svc.new_chat_title) return `${who} renamed the group to “${svc.new_chat_title}”`;
    if (svc.group_chat_created || svc.supergroup_chat_created) return `${who} created the group`;
    return `${who}: service message`;
  }

  function photoNode(sizes, caption, onLoad) {
    const list = Array.isArray(sizes) ? sizes : [];
    const pick = list.find((s) => s.width >= 320) || list[list.length - 1];
    const tile = () =>
      h(
        "div",
        { class: "photo-tile" },
        h("span", { class: "ico", "aria-hidden": "true" }, "🖼️"),
        h("span", {}, caption ? `Photo: ${caption}` : "Photo"),
      );
    if (!pick) return h("div", { class: "photo" }, tile());
    const ratio = pick.width && pick.height ? `${pick.width} / ${pick.height}` : "4 / 3";
    const img = h("img", {
      src: photoUrl(pick.file_id),
      alt: caption ? `Photo: ${caption}` : "Photo",
      loading: "lazy",
      decoding: "async",
      style: `aspect-ratio: ${ratio}`,
    });
    const box = h("div", { class: "photo" }, img);
    img.addEventListener("error", () => box.replaceChildren(tile()), { once: true });
    img.addEventListener("load", onLoad, { once: true });
    return box;
  }

  function mediaNodes(msg, onLoad) {
    const media = msg.media || {};
    if (media.photo) return [photoNode(media.photo, msg.caption, onLoad)];
    if (media.location) {
      const loc = media.location;
      const live = loc.live_period ? h("div", { class: "card-sub" }, "Live location") : null;
      return [
        h(
          "div",
          { class: "card location-card", "data-testid": "location-card" },
          h("div", {}, h("div", { class: "card-title" }, `📍 ${fmtCoord(loc.latitude)}, ${fmtCoord(loc.longitude)}`), live),
        ),
      ];
    }
    if (media.venue) {
      const v = media.venue;
      const loc = v.location || {};
      return [
        h(
          "div",
          { class: "card" },
          h("span", { class: "ico", "aria-hidden": "true" }, "📍"),
          h(
            "div",
            {},
            h("div", { class: "card-title" }, v.title || "Venue"),
            h("div", { class: "card-sub" }, [v.address, loc.latitude !== undefined ? `${fmtCoord(loc.latitude)}, ${fmtCoord(loc.longitude)}` : null].filter(Boolean).join(" · ")),
          ),
        ),
      ];
    }
    if (media.contact) {
      const c = media.contact;
      return [
        h(
          "div",
          { class: "card" },
          h("span", { class: "ico", "aria-hidden": "true" }, "👤"),
          h("div", {}, h("div", { class: "card-title" }, [c.first_name, c.last_name].filter(Boolean).join(" ")), h("div", { class: "card-sub" }, c.phone_number || "")),
        ),
      ];
    }
    if (media.document) {
      const d = media.document;
      const kb = d.file_size ? `${Math.max(1, Math.round(d.file_size / 1024))} KB` : "";
      return [
        h(
          "div",
          { class: "card" },
          h("span", { class: "ico", "aria-hidden": "true" }, "📄"),
          h("div", {}, h("div", { class: "card-title" }, d.file_name || "File"), h("div", { class: "card-sub" }, kb)),
        ),
      ];
    }
    if (media.sticker) return [h("div", { class: "sticker", role: "img", "aria-label": "Sticker" }, media.sticker.emoji || "🖼️")];
    if (media.voice) {
      const s = Number(media.voice.duration || 0);
      return [h("div", { class: "card" }, h("span", { class: "ico", "aria-hidden": "true" }, "🎤"), h("div", {}, h("div", { class: "card-title" }, "Voice message"), h("div", { class: "card-sub" }, `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`)))];
    }
    if (media.poll) {
      const p = media.poll;
      return [h("div", { class: "card" }, h("span", { class: "ico", "aria-hidden": "true" }, "📊"), h("div", {}, h("div", { class: "card-title" }, p.question || "Poll"), h("div", { class: "card-sub" }, (p.options || []).map((o) => o.text).join(" · "))))];
    }
    if (media.dice) return [h("div", { class: "sticker", role: "img", "aria-label": `Dice: ${media.dice.value}` }, media.dice.emoji || "🎲")];
    for (const [kind, ico] of [["video", "🎬"], ["animation", "🎞️"], ["audio", "🎵"], ["video_note", "⏺️"]]) {
      if (media[kind]) return [h("div", { class: "card" }, h("span", { class: "ico", "aria-hidden": "true" }, ico), h("div", { class: "card-title" }, kind.replace("_", " ")))];
    }
    return [];
  }

  function inlineButton(btn, msg) {
    const attrs = { type: "button", class: "ikb-btn", "data-testid": "inline-button" };
    if (btn.callback_data !== undefined) {
      return h("button", { ...attrs, onclick: (ev) => pressInline(ev.currentTarget, msg, btn) }, btn.text);
    }
    const url = btn.url || (btn.login_url && btn.login_url.url);
    if (url && safeHref(url)) {
      return h(
        "button",
        { ...attrs, title: url, onclick: () => window.open(safeHref(url), "_blank", "noopener") },
        btn.text,
        h("span", { class: "ext", "aria-hidden": "true" }, "↗"),
      );
    }
    if (btn.copy_text) {
      return h(
        "button",
        {
          ...attrs,
          onclick: () =>
            navigator.clipboard
              .writeText(btn.copy_text.text || "")
              .then(() => toast("Copied to the clipboard"))
              .catch(showError),
        },
        btn.text,
      );
    }
    return h("button", { ...attrs, disabled: true, title: "Not available in the local demo" }, btn.text);
  }

  function rowKey(msg, ctx) {
    return [msg.version, ctx.cont, ctx.from, ctx.showName, state.actingAs, msg.reply_to_message_id || 0].join("|");
  }

  function buildNodes(msg, ctx, onLoad) {
    const base = { "data-message-id": msg.message_id };
    if (msg.kind === "service") {
      return [h("div", { class: "service", "data-testid": "service-message", ...base }, serviceText(msg))];
    }
    const from = ctx.from;
    const bubbleKids = [];
    if (ctx.showName) {
      bubbleKids.push(h("span", { class: "sender", "data-hue": from === "bot" ? null : hue((msg.sender || {}).id) }, senderName(msg)));
    }
    if (msg.forward_origin) {
      const o = msg.forward_origin;
      const origin =
        (o.sender_user && [o.sender_user.first_name, o.sender_user.last_name].filter(Boolean).join(" ")) ||
        o.sender_user_name ||
        (o.chat && o.chat.title) ||
        (o.sender_chat && o.sender_chat.title) ||
        "someone";
      bubbleKids.push(h("span", { class: "fwd" }, "Forwarded from ", h("strong", {}, origin)));
    }
    if (msg.reply_to_message_id) {
      const target = chatOf(msg.chat_id).messages.get(msg.reply_to_message_id);
      bubbleKids.push(
        h("span", { class: "quote" }, h("strong", {}, target ? senderName(target) : "Reply"), " ", target ? snippet(target) : ""),
      );
    }
    const media = mediaNodes(msg, onLoad);
    bubbleKids.push(...media);
    const body = msg.text !== null && msg.text !== undefined ? msg.text : msg.caption;
    const meta = h(
      "span",
      { class: "meta", title: new Date(msg.date * 1000).toLocaleString() },
      msg.edited ? "edited " : "",
      fmtTime(msg.date),
    );
    if (body) {
      const text = h("div", { class: "text" }, renderText(body, msg.entities, from === "bot"));
      text.append(meta);
      bubbleKids.push(text);
    } else if (!media.length) {
      bubbleKids.push(h("div", { class: "text deleted-note" }, "Unsupported message", meta));
    } else {
      bubbleKids.push(meta);
    }
    const bubble = h(
      "div",
      {
        class: `bubble${media.length && msg.media && (msg.media.photo || msg.media.sticker) ? " has-media" : ""}`,
        "data-testid": "message",
        "data-from": from,
        "data-kind": msg.kind,
        "data-edited": msg.edited ? "true" : null,
        ...base,
      },
      bubbleKids,
    );
    const row = h("div", { class: `msg-row${ctx.cont ? " cont" : ""}`, "data-from": from, ...base }, bubble);
    const markup = msg.reply_markup;
    if (markup && markup.type === "inline" && markup.rows && markup.rows.length) {
      row.append(
        h(
          "div",
          { class: "ikb", role: "group", "aria-label": "Message buttons", "data-message-id": msg.message_id },
          markup.rows.map((r) => h("div", { class: "ikb-row" }, r.map((b) => inlineButton(b, msg)))),
        ),
      );
    }
    return [row];
  }

  function sortedMessages(chatId) {
    return [...chatOf(chatId).messages.values()].sort((a, b) => a.message_id - b.message_id);
  }

  function emptyState() {
    if (!state.active) {
      return h(
        "div",
        { class: "empty" },
        h("p", { class: "empty-title" }, "Welcome to the ShopWatch demo"),
        h("p", {}, state.personas.length ? "Pick someone on the left to act as them." : "No demo people are set up yet."),
      );
    }
    if (!chatOf(state.active.id).loaded) {
      return h("div", { class: "empty", "aria-busy": "true" }, h("p", {}, "Loading messages…"));
    }
    if (state.active.type === "group") {
      return h(
        "div",
        { class: "empty" },
        h("p", { class: "empty-title" }, "No messages here yet"),
        h("p", {}, "Everything posted in this group — by the members or by the bot — shows up here."),
      );
    }
    const p = persona(state.active.id);
    return h(
      "div",
      { class: "empty" },
      h("p", { class: "empty-title" }, `${p ? p.name : "This person"} hasn't talked to ${state.bot.name} yet`),
      h("p", {}, "Send /start to begin, just like in Telegram."),
      h("button", { type: "button", class: "btn btn-primary", onclick: () => sendText("/start") }, "Send /start"),
    );
  }

  /** (Re)draw the active chat, reusing the DOM of messages that did not change. */
  function renderMessages(scroll) {
    const box = $("messages");
    const chatId = activeChatId();
    const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 120;
    const stick = scroll === "bottom" || (scroll !== "keep" && nearBottom);
    const onLoad = () => {
      if (stick) box.scrollTop = box.scrollHeight;
    };
    const desired = [];
    const seen = new Set();
    if (chatId !== null) {
      let prev = null;
      let prevDay = null;
      const isGroup = chatId < 0;
      for (const msg of sortedMessages(chatId)) {
        if (msg.deleted) continue;
        const day = new Date(msg.date * 1000).toDateString();
        if (day !== prevDay) {
          let sep = state.daySeps.get(day);
          if (!sep) {
            sep = h("div", { class: "day-sep", role: "separator" }, fmtDay(msg.date));
            state.daySeps.set(day, sep);
          }
          desired.push(sep);
          prevDay = day;
          prev = null;
        }
        const from = msg.kind === "service" ? "service" : fromOf(msg);
        const sameSender =
          prev && prev.kind !== "service" && msg.kind !== "service" && (prev.sender || {}).id === (msg.sender || {}).id && msg.date - prev.date < 300;
        const ctx = { from, cont: Boolean(sameSender), showName: isGroup && from !== "me" && !sameSender };
        const key = rowKey(msg, ctx);
        let cached = state.rows.get(msg.message_id);
        if (!cached || cached.key !== key) {
          cached = { key, nodes: buildNodes(msg, ctx, onLoad) };
          state.rows.set(msg.message_id, cached);
        }
        desired.push(...cached.nodes);
        seen.add(msg.message_id);
        prev = msg;
      }
    }
    for (const mid of [...state.rows.keys()]) if (!seen.has(mid)) state.rows.delete(mid);
    if (!desired.length) desired.push(emptyState());
    box.classList.toggle("is-empty", !seen.size);

    // Keep keyboard focus on the "same" control when a message is re-drawn (e.g. edited).
    const focusedEl = document.activeElement;
    const focusedRow = focusedEl && box.contains(focusedEl) ? focusedEl.closest(".msg-row") : null;
    const focusSel = focusedEl && focusedEl.matches('[data-testid="inline-button"]') ? '[data-testid="inline-button"]' : "button";
    const focusMemo = focusedRow
      ? { mid: focusedRow.dataset.messageId, index: [...focusedRow.querySelectorAll(focusSel)].indexOf(focusedEl) }
      : null;

    let cursor = box.firstChild;
    for (const node of desired) {
      if (node === cursor) cursor = cursor.nextSibling;
      else box.insertBefore(node, cursor);
    }
    while (cursor) {
      const next = cursor.nextSibling;
      cursor.remove();
      cursor = next;
    }
    if (focusMemo && !focusedRow.isConnected) {
      const row = box.querySelector(`.msg-row[data-message-id="${focusMemo.mid}"]`);
      const buttons = row ? [...row.querySelectorAll(focusSel)] : [];
      const target = buttons[focusMemo.index] || buttons[0] || box;
      target.focus({ preventScroll: true });
    }
    if (stick) box.scrollTop = box.scrollHeight;
    renderReplyKeyboard();
  }

  /* ------------------------------------------------------------------ reply keyboard */

  function currentKeyboard(chatId) {
    const msgs = sortedMessages(chatId).filter((m) => !m.deleted);
    let kb = null;
    for (const m of msgs) {
      if ((m.sender || {}).role !== "bot" || !m.reply_markup) continue;
      if (m.reply_markup.type === "reply" || m.reply_markup.type === "remove") kb = m;
    }
    const last = msgs[msgs.length - 1];
    const forceReply = last && (last.sender || {}).role === "bot" && last.reply_markup && last.reply_markup.type === "force_reply" ? last : null;
    return { kb: kb && kb.reply_markup.type === "reply" ? kb : null, forceReply };
  }

  function renderReplyKeyboard() {
    const panel = $("reply-kb");
    const toggle = $("kb-toggle");
    const input = $("composer-input");
    const chatId = activeChatId();
    const { kb, forceReply } = chatId === null ? { kb: null, forceReply: null } : currentKeyboard(chatId);
    const markup = kb ? kb.reply_markup : null;
    input.placeholder = (markup && markup.input_field_placeholder) || (forceReply ? `Reply to ${state.bot.name}…` : "Message");
    toggle.hidden = !kb;
    if (!kb) {
      panel.hidden = true;
      panel.replaceChildren();
      panel.dataset.messageId = "";
      return;
    }
    const open = state.collapsedKb.get(chatId) !== kb.message_id;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.setAttribute("aria-label", open ? "Hide the bot's keyboard" : "Show the bot's keyboard");
    panel.hidden = !open || !$("location-form").hidden;
    const key = `${kb.message_id}:${kb.version}:${state.actingAs}`;
    if (panel.dataset.messageId === key) return;
    panel.dataset.messageId = key;
    panel.replaceChildren(
      ...markup.rows.map((row) =>
        h(
          "div",
          { class: "rkb-row" },
          row.map((btn) => {
            const attrs = { type: "button", class: "rkb-btn", "data-testid": "reply-button" };
            if (btn.request_location) {
              return h("button", { ...attrs, title: "Shares a location", onclick: () => replyPressed(kb, () => sendLocation()) }, btn.text);
            }
            if (btn.request_contact) {
              return h("button", { ...attrs, title: "Shares your phone number", onclick: () => replyPressed(kb, () => sendContact()) }, btn.text);
            }
            if (btn.request_users || btn.request_chat || btn.request_poll || btn.web_app) {
              return h("button", { ...attrs, disabled: true, title: "Not available in the local demo" }, btn.text);
            }
            return h("button", { ...attrs, onclick: () => replyPressed(kb, () => sendText(btn.text)) }, btn.text);
          }),
        ),
      ),
    );
  }

  function replyPressed(kbMsg, action) {
    if (kbMsg.reply_markup.one_time_keyboard) state.collapsedKb.set(activeChatId(), kbMsg.message_id);
    action();
    renderReplyKeyboard();
  }

  /* ------------------------------------------------------------------ sending */

  function actor() {
    if (!state.active || state.actingAs === null) {
      toast("Pick someone to act as first.", "error");
      return null;
    }
    return { uid: state.actingAs, chatId: state.active.id };
  }

  function absorb(result) {
    for (const m of (result && result.messages) || []) upsert(m);
    renderMessages("bottom");
  }

  async function send(content) {
    const who = actor();
    if (!who) return false;
    try {
      absorb(await sendAs(who.uid, who.chatId, content));
      return true;
    } catch (err) {
      showError(err);
      return false;
    }
  }

  async function sendText(text) {
    if (!text) return false;
    const chatId = activeChatId();
    const content = { text };
    const { forceReply } = chatId === null ? {} : currentKeyboard(chatId);
    if (forceReply) content.reply_to_message_id = forceReply.message_id;
    return send(content);
  }

  function readLocationForm() {
    const lat = parseFloat($("location-lat").value);
    const lon = parseFloat($("location-lon").value);
    if (!Number.isFinite(lat) || lat < -90 || lat > 90 || !Number.isFinite(lon) || lon < -180 || lon > 180) return null;
    return { latitude: lat, longitude: lon };
  }

  function sendLocation(loc) {
    const where = loc || readLocationForm() || state.defaultLocation;
    return send({ location: { latitude: where.latitude, longitude: where.longitude } });
  }

  function sendContact() {
    const p = persona(state.actingAs) || { name: "Demo user", user_id: state.actingAs };
    const parts = String(p.name).split(/\s+/);
    const phone = p.phone || `+44 7700 900${String(Math.abs(p.user_id) % 1000).padStart(3, "0")}`;
    return send({
      contact: {
        phone_number: phone,
        first_name: parts[0] || "Demo",
        last_name: parts.slice(1).join(" ") || undefined,
        user_id: p.user_id,
      },
    });
  }

  function fileToBase64(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(",", 2)[1] || "");
      reader.onerror = () => reject(reader.error || new Error("could not read the file"));
      reader.readAsDataURL(file);
    });
  }

  async function sendPhoto(file) {
    if (!file) return;
    if (file.size > MAX_PHOTO_BYTES) {
      toast("That photo is over 10 MB — pick a smaller one.", "error");
      return;
    }
    const input = $("composer-input");
    const caption = input.value.trim();
    try {
      const data = await fileToBase64(file);
      const photo = { data_base64: data };
      if (caption) photo.caption = caption;
      if (await send({ photo })) {
        input.value = "";
        autosize();
      }
    } catch (err) {
      showError(err);
    }
  }

  async function pressInline(button, msg, btn) {
    const who = actor();
    if (!who || button.classList.contains("pending")) return;
    button.classList.add("pending");
    button.setAttribute("aria-busy", "true");
    const done = () => {
      button.classList.remove("pending");
      button.removeAttribute("aria-busy");
    };
    try {
      const res = await pressAs(who.uid, msg.chat_id, msg.message_id, btn.callback_data);
      const timer = setTimeout(() => {
        state.pending.delete(res.callback_query_id);
        done();
      }, 8000);
      state.pending.set(res.callback_query_id, { done, timer });
    } catch (err) {
      done();
      showError(err);
    }
  }

  /* ------------------------------------------------------------------ data & events */

  function upsert(msg) {
    const chat = chatOf(msg.chat_id);
    const old = chat.messages.get(msg.message_id);
    if (old && old.version > msg.version) return { isNew: false };
    chat.messages.set(msg.message_id, msg);
    return { isNew: !old };
  }

  async function loadChat(chatId, scroll) {
    const token = ++state.loadToken;
    try {
      const data = await getTranscript(chatId);
      const chat = chatOf(chatId);
      for (const m of data.messages) upsert(m);
      chat.loaded = true;
      if (token === state.loadToken && activeChatId() === chatId) renderMessages(scroll);
    } catch (err) {
      showError(err);
    }
  }

  async function loadMembers(gid) {
    try {
      const info = await getGroup(gid);
      const present = new Set();
      for (const m of info.members || []) {
        const ok = PRESENT.has(m.status) || (m.status === "restricted" && m.is_member);
        if (ok && m.user) present.add(m.user.id);
      }
      state.groupMembers.set(gid, present);
      const g = group(gid);
      if (g) g.member_count = present.size;
    } catch (_) {
      state.groupMembers.delete(gid);
    }
    renderSidebar();
    if (state.active && state.active.id === gid) renderHeader();
  }

  function onEvent(ev) {
    if (!ev || typeof ev.seq !== "number") return;
    if (ev.seq > state.lastSeq) state.lastSeq = ev.seq;
    const data = ev.data || {};
    switch (ev.kind) {
      case "message_new":
      case "message_edited":
      case "message_deleted": {
        const msg = data.message;
        if (!msg) return;
        const { isNew } = upsert(msg);
        const chatId = msg.chat_id;
        if (chatId === activeChatId()) {
          if ((msg.sender || {}).role === "bot") clearTyping();
          renderMessages();
        } else if (isNew && ev.kind === "message_new" && (msg.sender || {}).role === "bot" && !msg.deleted) {
          state.unread.set(chatId, (state.unread.get(chatId) || 0) + 1);
          renderSidebar();
        }
        return;
      }
      case "callback_answer": {
        const pending = state.pending.get(data.callback_query_id);
        if (!pending) return;
        clearTimeout(pending.timer);
        pending.done();
        state.pending.delete(data.callback_query_id);
        if (data.text) toast(data.text, data.show_alert ? "alert" : "", Boolean(data.show_alert));
        return;
      }
      case "chat_action":
        if (data.chat_id === activeChatId()) showTyping(data.action);
        return;
      case "member_changed":
        if (data.chat_id < 0 && group(data.chat_id)) loadMembers(data.chat_id);
        return;
      default:
    }
  }

  let sseFailures = 0;
  let polling = false;

  function connectEvents() {
    if (!window.EventSource) {
      startPolling();
      return;
    }
    const es = new EventSource(`/_sandbox/events?since=${state.lastSeq}`);
    let opened = false;
    es.onopen = () => {
      const wasDown = sseFailures > 0;
      opened = true;
      sseFailures = 0;
      setConn("live");
      if (wasDown) resync();
    };
    for (const kind of EVENT_KINDS) {
      es.addEventListener(kind, (e) => {
        try {
          onEvent(JSON.parse(e.data));
        } catch (err) {
          console.error("bad event", err);
        }
      });
    }
    es.onerror = () => {
      es.close();
      sseFailures += opened ? 1 : 2;
      setConn("offline");
      if (sseFailures >= 4) startPolling();
      else setTimeout(connectEvents, 500 * sseFailures);
    };
  }

  async function startPolling() {
    if (polling) return;
    polling = true;
    setConn("polling");
    let failures = 0;
    for (;;) {
      try {
        const res = await pollEvents(state.lastSeq, 25);
        for (const ev of res.events) onEvent(ev);
        if (res.last_seq > state.lastSeq) state.lastSeq = res.last_seq;
        if (failures) resync();
        failures = 0;
        setConn("polling");
      } catch (_) {
        failures += 1;
        setConn("offline");
        await sleep(Math.min(10000, 1000 * failures));
      }
    }
  }

  function resync() {
    const chatId = activeChatId();
    if (chatId !== null) loadChat(chatId);
  }

  function showTyping(action) {
    state.typingText = `${state.bot.name} is ${ACTION_TEXT[action] || "busy…"}`;
    clearTimeout(state.typingTimer);
    state.typingTimer = setTimeout(clearTyping, 5000);
    renderHeader();
  }

  function clearTyping() {
    if (!state.typingText) return;
    state.typingText = "";
    clearTimeout(state.typingTimer);
    renderHeader();
  }

  /* ------------------------------------------------------------------ sidebar & header */

  function unreadBadge(chatId) {
    const n = state.unread.get(chatId) || 0;
    if (!n) return h("span", { class: "chat-item-meta" });
    return h("span", { class: "unread", "data-testid": "unread" }, h("span", { "aria-hidden": "true" }, n > 99 ? "99+" : String(n)), h("span", { class: "visually-hidden" }, `, ${n} unread`));
  }

  function renderSidebar() {
    const people = $("persona-list");
    const active = document.activeElement;
    const focused = active && active.closest && active.closest(".chat-list") ? active.dataset.testid : null;
    people.replaceChildren(
      ...state.personas.map((p) => {
        const current = state.active && state.active.type === "user" && state.active.id === p.user_id;
        return h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "chat-item",
              "data-testid": `persona-${p.user_id}`,
              "aria-current": current ? "true" : "false",
              onclick: () => select("user", p.user_id),
            },
            avatar(p.name, p.user_id),
            h(
              "span",
              { class: "chat-item-body" },
              h("span", { class: "chat-item-top" }, h("span", { class: "chat-item-name" }, p.name), p.role ? h("span", { class: "role-badge", "data-role": String(p.role).toLowerCase() }, p.role) : null),
              h("span", { class: "chat-item-blurb" }, p.blurb || ""),
            ),
            unreadBadge(p.user_id),
          ),
        );
      }),
    );
    if (!state.personas.length) people.replaceChildren(h("li", { class: "side-empty" }, "No people yet."));
    const groups = $("group-list");
    groups.replaceChildren(
      ...state.groups.map((g) => {
        const current = state.active && state.active.type === "group" && state.active.id === g.chat_id;
        const count = g.member_count ? `${g.member_count} members · shared view` : "Shared group view";
        return h(
          "li",
          {},
          h(
            "button",
            {
              type: "button",
              class: "chat-item",
              "data-testid": `group-${g.chat_id}`,
              "aria-current": current ? "true" : "false",
              onclick: () => select("group", g.chat_id),
            },
            avatar(g.title, g.chat_id, "avatar-group"),
            h("span", { class: "chat-item-body" }, h("span", { class: "chat-item-top" }, h("span", { class: "chat-item-name" }, g.title)), h("span", { class: "chat-item-blurb" }, count)),
            unreadBadge(g.chat_id),
          ),
        );
      }),
    );
    if (!state.groups.length) groups.replaceChildren(h("li", { class: "side-empty" }, "No groups yet."));
    if (focused) {
      const again = document.querySelector(`[data-testid="${focused}"]`);
      if (again) again.focus();
    }
    const total = [...state.unread.values()].reduce((a, b) => a + b, 0);
    document.title = total ? `(${total}) ShopWatch — local demo` : "ShopWatch — local demo";
  }

  function renderHeader() {
    const title = $("chat-title");
    const sub = $("chat-sub");
    const av = $("chat-avatar");
    const acting = $("acting");
    const disabled = !state.active;
    for (const id of ["composer-input", "composer-send", "photo-btn", "location-open"]) $(id).disabled = disabled;
    if (!state.active) {
      title.textContent = "ShopWatch demo";
      sub.textContent = "Choose someone on the left to start.";
      av.replaceChildren();
      acting.hidden = true;
      return;
    }
    av.className = "avatar avatar-lg";
    if (state.active.type === "user") {
      const p = persona(state.active.id);
      title.textContent = state.bot.name;
      av.dataset.hue = "4";
      av.textContent = initials(state.bot.name);
      const who = p ? `${p.name}${p.role ? ` (${p.role})` : ""}` : `user ${state.active.id}`;
      sub.replaceChildren(
        state.typingText
          ? h("span", { class: "typing" }, state.typingText)
          : `${state.bot.username ? "@" + state.bot.username + " · " : ""}private chat, as ${who}`,
      );
      acting.hidden = true;
    } else {
      const g = group(state.active.id);
      title.textContent = g ? g.title : `Group ${state.active.id}`;
      av.classList.add("avatar-group");
      av.dataset.hue = hue(state.active.id);
      av.textContent = initials(title.textContent);
      const members = state.groupMembers.get(state.active.id);
      sub.replaceChildren(
        state.typingText ? h("span", { class: "typing" }, state.typingText) : `${members ? members.size + " members · " : ""}everyone in the group sees this`,
      );
      acting.hidden = false;
      const select = $("acting-select");
      const eligible = state.personas.filter((p) => !members || members.has(p.user_id));
      const options = (eligible.length ? eligible : state.personas).map((p) =>
        h("option", { value: String(p.user_id), selected: p.user_id === state.actingAs }, p.name),
      );
      select.replaceChildren(...options);
      if (state.actingAs !== null) select.value = String(state.actingAs);
    }
  }

  function select(type, id, opts) {
    const same = state.active && state.active.type === type && state.active.id === id;
    state.active = { type, id };
    if (type === "user") {
      state.actingAs = id;
    } else {
      const members = state.groupMembers.get(id);
      const fits = (uid) => uid !== null && uid !== undefined && persona(uid) && (!members || members.has(uid));
      const prevActor = state.groupActor.get(id);
      if (fits(prevActor)) state.actingAs = prevActor;
      else if (!fits(state.actingAs)) {
        const first = state.personas.find((p) => !members || members.has(p.user_id)) || state.personas[0];
        state.actingAs = first ? first.user_id : null;
      }
      state.groupActor.set(id, state.actingAs);
      loadMembers(id);
    }
    state.unread.set(id, 0);
    state.typingText = "";
    closeLocation();
    $("app").dataset.view = "chat";
    const hash = `#${type}${id}`;
    if (window.location.hash !== hash) history.replaceState(null, "", hash);
    renderSidebar();
    renderHeader();
    if (!same) {
      state.rows.clear();
      $("messages").replaceChildren();
    }
    renderMessages("bottom");
    loadChat(id, "bottom");
    if (!(opts && opts.noFocus) && window.matchMedia("(min-width: 721px)").matches) $("composer-input").focus();
  }

  /* ------------------------------------------------------------------ composer */

  function autosize() {
    const input = $("composer-input");
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight, 160) + "px";
    input.style.overflowY = input.scrollHeight > 160 ? "auto" : "hidden";
  }

  async function submitComposer() {
    const input = $("composer-input");
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    autosize();
    if (!(await sendText(text))) {
      if (!input.value) input.value = text;
      autosize();
    }
  }

  function openLocation() {
    const form = $("location-form");
    const lat = $("location-lat");
    const lon = $("location-lon");
    if (!lat.value) lat.value = String(state.defaultLocation.latitude);
    if (!lon.value) lon.value = String(state.defaultLocation.longitude);
    $("location-hint").textContent = `Default: ${state.defaultLocation.label || "town centre"} (${fmtCoord(state.defaultLocation.latitude)}, ${fmtCoord(state.defaultLocation.longitude)}).`;
    form.hidden = false;
    $("location-open").setAttribute("aria-expanded", "true");
    renderReplyKeyboard();
    lat.focus();
    lat.select();
  }

  function closeLocation(returnFocus) {
    $("location-form").hidden = true;
    $("location-open").setAttribute("aria-expanded", "false");
    renderReplyKeyboard();
    if (returnFocus) $("location-open").focus();
  }

  function bindUi() {
    $("composer").addEventListener("submit", (ev) => {
      ev.preventDefault();
      submitComposer();
    });
    const input = $("composer-input");
    input.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        submitComposer();
      }
    });
    input.addEventListener("input", autosize);
    $("photo-btn").addEventListener("click", () => $("photo-input").click());
    $("photo-input").addEventListener("change", (ev) => {
      const file = ev.target.files && ev.target.files[0];
      sendPhoto(file).finally(() => {
        ev.target.value = "";
      });
    });
    $("location-open").addEventListener("click", () => {
      if ($("location-form").hidden) openLocation();
      else closeLocation(true);
    });
    $("location-cancel").addEventListener("click", () => closeLocation(true));
    $("location-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const loc = readLocationForm();
      if (!loc) {
        toast("Latitude must be between -90 and 90, longitude between -180 and 180.", "error");
        return;
      }
      if (await sendLocation(loc)) closeLocation();
      input.focus();
    });
    $("location-form").addEventListener("keydown", (ev) => {
      if (ev.key === "Escape") closeLocation(true);
    });
    $("kb-toggle").addEventListener("click", () => {
      const chatId = activeChatId();
      const { kb } = currentKeyboard(chatId);
      if (!kb) return;
      if (state.collapsedKb.get(chatId) === kb.message_id) state.collapsedKb.delete(chatId);
      else state.collapsedKb.set(chatId, kb.message_id);
      renderReplyKeyboard();
    });
    $("acting-select").addEventListener("change", (ev) => {
      state.actingAs = Number(ev.target.value);
      if (state.active && state.active.type === "group") state.groupActor.set(state.active.id, state.actingAs);
      renderMessages("keep");
    });
    $("back-btn").addEventListener("click", () => {
      $("app").dataset.view = "list";
      const current = document.querySelector('.chat-item[aria-current="true"]');
      if (current) current.focus();
    });
    // Arrow keys move between people and groups.
    document.querySelector(".sidebar").addEventListener("keydown", (ev) => {
      if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") return;
      const items = [...document.querySelectorAll(".chat-item")];
      const i = items.indexOf(document.activeElement);
      if (i < 0) return;
      ev.preventDefault();
      const next = items[(i + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length];
      next.focus();
    });
  }

  /* ------------------------------------------------------------------ start-up */

  function fromHash() {
    const m = /^#(user|group)(-?\d+)$/.exec(window.location.hash);
    if (!m) return null;
    const id = Number(m[2]);
    if (m[1] === "user" && persona(id)) return { type: "user", id };
    if (m[1] === "group" && group(id)) return { type: "group", id };
    return null;
  }

  async function init() {
    bindUi();
    setConn("connecting");
    renderHeader();
    let setup;
    try {
      const resp = await fetch("/_demo/personas", { headers: { Accept: "application/json" } });
      if (!resp.ok) throw new Error(`HTTP ${resp.status}`);
      setup = await resp.json();
    } catch (err) {
      setConn("offline");
      $("messages").replaceChildren(
        h("div", { class: "empty" }, h("p", { class: "empty-title" }, "The demo isn't ready"), h("p", {}, `Could not load the demo people (${err.message}). Is the demo runner still going?`)),
      );
      return;
    }
    state.bot = Object.assign({ id: null, username: "", name: "ShopWatch" }, setup.bot || {});
    state.personas = (setup.personas || []).map((p) => ({ ...p, user_id: Number(p.user_id) }));
    state.groups = (setup.groups || []).map((g) => ({ ...g, chat_id: Number(g.chat_id) }));
    if (setup.default_location) state.defaultLocation = Object.assign({}, DEFAULT_LOCATION, setup.default_location);
    try {
      const bots = await listBots();
      const match = bots.find((b) => b.id === state.bot.id || b.username === state.bot.username);
      const chosen = match || bots[0];
      if (chosen) {
        state.botRef = chosen.id;
        state.bot.id = chosen.id;
        state.bot.username = state.bot.username || chosen.username;
      }
      const res = await pollEvents(Number.MAX_SAFE_INTEGER, 0);
      state.lastSeq = res.last_seq;
    } catch (err) {
      showError(err);
    }
    connectEvents();
    renderSidebar();
    state.groups.forEach((g) => loadMembers(g.chat_id));
    const linked = fromHash();
    const start = linked || (state.personas[0] ? { type: "user", id: state.personas[0].user_id } : null);
    if (start) select(start.type, start.id, { noFocus: true });
    else renderMessages();
    // On a phone, open on the list of people unless a link named a chat.
    if (!linked && window.matchMedia("(max-width: 720px)").matches) $("app").dataset.view = "list";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
