import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { initI18n, initialLang } from "./i18n";
import "./styles.css";
import "./accounts.css";

const lang = initialLang();
void initI18n(lang).then(() => {
  const root = document.getElementById("root");
  if (root)
    createRoot(root).render(
      <StrictMode>
        <App initialLang={lang} />
      </StrictMode>,
    );
});
