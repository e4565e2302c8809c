// appease chat widget: <script src="https://support.example/widget.js" data-token="SIGNED" data-order-id="A1" data-order-value="80" data-currency="USD"></script>
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
          if (ev[1] === "done") { reply.dataset.state = "done"; if (payload.escalated) bubble("appease-bot", "A member of our team will join this conversation."); }
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
