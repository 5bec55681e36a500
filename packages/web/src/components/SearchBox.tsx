/**
 * Find an area by name or code: an ARIA 1.2 combobox with a list of suggestions (arrow keys, Enter,
 * Escape), results announced to screen readers.
 */
import { useEffect, useId, useRef, useState } from "react";
import { useTranslation } from "react-i18next";
import { api } from "../api/client";
import type { AreaSummary } from "../api/types";

export function SearchBox({
  onSelect,
  label,
  id: idProp,
}: {
  readonly onSelect: (area: AreaSummary) => void;
  readonly label?: string;
  readonly id?: string;
}) {
  const { t } = useTranslation();
  const generated = useId();
  const id = idProp ?? `search-${generated}`;
  const listId = `${id}-list`;
  const [text, setText] = useState("");
  // Suggestions belong to the query they answer; a shorter or newer query shows none until its own.
  const [found, setFound] = useState<{ q: string; areas: readonly AreaSummary[]; message: string }>();
  const [open, setOpen] = useState(false);
  const [active, setActive] = useState(-1);
  const input = useRef<HTMLInputElement>(null);
  const q = text.trim();
  const current = q.length >= 2 && found?.q === q ? found : undefined;
  const results = current?.areas ?? [];
  const message = current?.message ?? "";

  useEffect(() => {
    if (q.length < 2) return;
    let live = true;
    const timer = setTimeout(() => {
      api.search(q, 10).then(
        (areas) => {
          if (!live) return;
          setFound({ q, areas, message: t("search.results", { count: areas.length }) });
          setActive(-1);
          setOpen(true);
        },
        () => live && setFound({ q, areas: [], message: t("search.failed") }),
      );
    }, 120);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [q, t]);

  const choose = (area: AreaSummary) => {
    setOpen(false);
    setText("");
    onSelect(area);
  };

  const onKeyDown = (e: React.KeyboardEvent<HTMLInputElement>) => {
    if (e.key === "ArrowDown") {
      e.preventDefault();
      setOpen(true);
      setActive((a) => Math.min(results.length - 1, a + 1));
    } else if (e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => Math.max(0, a - 1));
    } else if (e.key === "Enter") {
      const pick = results[active >= 0 ? active : 0];
      if (open && pick) {
        e.preventDefault();
        choose(pick);
      }
    } else if (e.key === "Escape") {
      setOpen(false);
    }
  };

  const expanded = open && results.length > 0;
  return (
    <div className="search">
      <label htmlFor={id} className="visually-hidden">
        {label ?? t("search.label")}
      </label>
      <input
        ref={input}
        id={id}
        type="search"
        role="combobox"
        autoComplete="off"
        spellCheck={false}
        placeholder={label ?? t("search.placeholder")}
        aria-expanded={expanded}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-activedescendant={expanded && active >= 0 ? `${listId}-${active}` : undefined}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={onKeyDown}
        onFocus={() => results.length > 0 && setOpen(true)}
        onBlur={() => setTimeout(() => setOpen(false), 150)}
      />
      <ul
        id={listId}
        role="listbox"
        aria-label={t("search.suggestions")}
        className="search-list"
        hidden={!expanded}
      >
        {results.map((a, i) => (
          <li
            key={`${a.code}-${a.division}`}
            id={`${listId}-${i}`}
            role="option"
            aria-selected={i === active}
            className={i === active ? "active" : undefined}
            onMouseDown={(e) => {
              e.preventDefault();
              choose(a);
            }}
          >
            <span className="search-name">{a.name ?? a.code}</span>
            <span className="search-meta">
              {t(`level.${a.level}`)} · {a.code}
            </span>
          </li>
        ))}
      </ul>
      <div className="visually-hidden" aria-live="polite">
        {message}
      </div>
    </div>
  );
}
