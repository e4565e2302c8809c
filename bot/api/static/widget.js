// appease chat widget: <script src="https://support.example/widget.js" data-token="SIGNED" data-order-id="A1" data-order-value="80" data-currency="USD"></script>
// The reply's offer (the done event's `offer`) is shown with Accept / No thanks buttons, which
// call POST /v1/offers/{id}/accept|decline with the conversation's session token.
(function () {
  const me = document.currentScript;
  const base = new URL(me.src).origin;
  const params = new URLSearchParams(location.search);
  const token = me.dataset.token || params.get("token");
  const order = {
    id: me.dataset.orderId || params.get("order_id") || "unknown",
    value: me.dataset.orderValue || params.get("order_value") || "0",
    currency: me.dataset.currency || params.get("currency") || "USD",
  };
  const box = document.createElement("div");
  box.id = "appease-widget";
  box.innerHTML = `
    <style>
      #appease-widget{position:fixed;right:24px;bottom:24px;width:360px;font:14px system-ui,sans-serif;
        border:1px solid #d0d7de;border-radius:12px;background:#fff;box-shadow:0 8px 24px rgba(0,0,0,.15);overflow:hidden}
      #appease-widget header{background:#1f6feb;color:#fff;padding:10px 14px;font-weight:600}
      #appease-log{height:300px;overflow:auto;padding:10px;display:flex;flex-direction:column;gap:8px}
      .appease-msg{padding:8px 10px;border-radius:10px;max-width:85%;white-space:pre-wrap}
      .appease-customer{align-self:flex-end;background:#ddf4ff}
      .appease-bot{align-self:flex-start;background:#f6f8fa}
      #appease-form{display:flex;border-top:1px solid #d0d7de}
      #appease-input{flex:1;border:0;padding:10px;font:inherit}
      #appease-send{border:0;background:#1f6feb;color:#fff;padding:0 16px;font:inherit;cursor:pointer}
      .appease-offer{align-self:flex-start;border:1px solid #1f6feb;border-radius:10px;padding:8px 10px;max-width:85%}
      .appease-offer-what{font-weight:600;margin-bottom:6px}
      .appease-offer button{border:1px solid #1f6feb;border-radius:6px;padding:4px 10px;margin-right:6px;font:inherit;cursor:pointer}
      .appease-accept{background:#1f6feb;color:#fff}
      .appease-decline{background:#fff;color:#1f6feb}
      .appease-offer-result{margin-top:6px;color:#57606a}
    </style>
    <header>Support</header>
    <div id="appease-log" aria-live="polite"></div>
    <form id="appease-form"><input id="appease-input" placeholder="Tell us what happened" autocomplete="off"><button id="appease-send">Send</button></form>`;
  document.body.appendChild(box);
  const log = box.querySelector("#appease-log");
  let session = null;

  function bubble(cls, text) {
    const el = document.createElement("div");
    el.className = "appease-msg " + cls;
    el.textContent = text;
    log.appendChild(el);
    log.scrollTop = log.scrollHeight;
    return el;
  }

  const KIND = {store_credit: "store credit", refund_partial: "partial refund", refund_full: "full refund",
    discount_code: "discount code", free_shipping: "free shipping", replacement: "replacement"};
  const RESULT = {accepted: "Accepted. Thank you!", declined: "No problem, we have noted that."};

  function offerText(offer) {
    const kind = KIND[offer.kind] || String(offer.kind).replace(/_/g, " ");
    const amount = Number(offer.amount);
    if (!(amount > 0)) return "Our offer: " + kind;
    let money;
    try { money = new Intl.NumberFormat(undefined, {style: "currency", currency: offer.currency}).format(amount); }
    catch (e) { money = offer.amount + " " + offer.currency; }
    return "Our offer: " + money + " " + kind;
  }

  function offerCard(offer) {
    const card = document.createElement("div");
    card.className = "appease-offer";
    card.dataset.offerId = offer.id;
    const what = document.createElement("div");
    what.className = "appease-offer-what";
    what.textContent = offerText(offer);
    const result = document.createElement("div");
    result.className = "appease-offer-result";
    card.appendChild(what);
    const open = offer.status === "sent" || offer.status === "proposed";
    card.dataset.state = open ? "open" : offer.status;
    if (open) {
      const buttons = document.createElement("div");
      for (const [cls, label, action] of [["appease-accept", "Accept", "accept"], ["appease-decline", "No thanks", "decline"]]) {
        const b = document.createElement("button");
        b.type = "button"; b.className = cls; b.textContent = label;
        b.addEventListener("click", () => answer(card, buttons, result, offer.id, action));
        buttons.appendChild(b);
      }
      card.appendChild(buttons);
    } else {
      result.textContent = RESULT[offer.status] || "";
    }
    card.appendChild(result);
    log.appendChild(card);
    log.scrollTop = log.scrollHeight;
  }

  async function answer(card, buttons, result, offerId, action) {
    for (const b of buttons.querySelectorAll("button")) b.disabled = true;
    card.dataset.state = "sending";
    try {
      const r = await fetch(base + "/v1/offers/" + offerId + "/" + action, {
        method: "POST", headers: {"Authorization": "Bearer " + session.token},
      });
      const body = await r.json().catch(() => ({}));
      if (r.status === 409) {
        result.textContent = "This offer was already answered.";
        card.dataset.state = "conflict";
      } else if (!r.ok) {
        throw new Error("answer failed (" + r.status + ")");
      } else {
        const status = body.offer.status;
        result.textContent = RESULT[status] || status;
        card.dataset.state = status;
      }
      buttons.remove();
    } catch (err) {
      result.textContent = "Sorry, that did not go through. Please try again.";
      card.dataset.state = "error";
      for (const b of buttons.querySelectorAll("button")) b.disabled = false;
    }
  }

  async function ensureSession() {
    if (session) return session;
    const r = await fetch(base + "/v1/chat/sessions", {
      method: "POST",
      headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
      body: JSON.stringify({order}),
    });
    if (!r.ok) throw new Error("could not open a chat (" + r.status + ")");
    session = await r.json();
    return session;
  }

  async function send(text) {
    bubble("appease-customer", text);
    const reply = bubble("appease-bot", "");
    reply.dataset.state = "streaming";
    try {
      const s = await ensureSession();
      const r = await fetch(base + "/v1/chat/sessions/" + s.session_id + "/messages", {
        method: "POST",
        headers: {"Content-Type": "application/json", "Authorization": "Bearer " + s.token},
        body: JSON.stringify({message: text}),
      });
      if (!r.ok || !r.body) throw new Error("the reply failed (" + r.status + ")");
      const reader = r.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buf += decoder.decode(value, {stream: true});
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const frame = buf.slice(0, cut); buf = buf.slice(cut + 2);
          const ev = /event: (\w+)/.exec(frame), data = /data: (.*)/.exec(frame);
          if (!ev || !data) continue;
          const payload = JSON.parse(data[1]);
          if (ev[1] === "delta") { reply.textContent += payload.text; log.scrollTop = log.scrollHeight; }
          if (ev[1] === "done") {
            if (payload.offer) offerCard(payload.offer);
            reply.dataset.state = "done";
            if (payload.escalated) bubble("appease-bot", "A member of our team will join this conversation.");
          }
        }
      }
    } catch (err) {
      reply.textContent = "Sorry, something went wrong. Please try again.";
      reply.dataset.state = "error";
    }
  }

  box.querySelector("#appease-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = box.querySelector("#appease-input");
    const text = input.value.trim();
    if (text) { input.value = ""; send(text); }
  });
})();
