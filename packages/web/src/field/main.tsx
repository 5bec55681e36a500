/**
 * The field app (/veld/): a light entry of its own — React, i18next, idb and the field screens; no
 * MapLibre or Plot until the map is opened. Installable as a PWA; works offline after a first visit.
 */
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ApiError } from "../api/client";
import { fieldApi } from "./api";
import { FieldApp } from "./FieldApp";
import { initFieldI18n, initialLang } from "./i18n";
import { openFieldDb, Outbox } from "./outbox";
import { getSession, loadSession } from "./session";
import { registerServiceWorker } from "./sw-register";
import "./field.css";

registerServiceWorker();

const lang = initialLang();
void Promise.all([initFieldI18n(lang), openFieldDb()]).then(([, db]) => {
  const outbox = new Outbox(db, {
    // The CSRF token comes with the session: a phone that started offline asks for it first.
    post: async (batch) => {
      if (getSession().kind !== "user") {
        const s = await loadSession();
        if (s.kind === "unknown") throw new TypeError("Failed to fetch");
        if (s.kind === "anonymous") throw new ApiError(401, "not logged in");
      }
      return fieldApi.post(batch);
    },
  });
  window.addEventListener("online", () => outbox.setOnline(true));
  window.addEventListener("offline", () => outbox.setOnline(false));
  void loadSession().then(() => outbox.start());
  const root = document.getElementById("root");
  if (root)
    createRoot(root).render(
      <StrictMode>
        <FieldApp db={db} outbox={outbox} initialLang={lang} />
      </StrictMode>,
    );
});
