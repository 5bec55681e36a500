import { useTranslation } from "react-i18next";
import type { AreaDetail } from "../api/types";
import { StateLink } from "./StateLink";

/** Nederland › Almere › Haven-Centrum: every step a link back up; the last is the current area. */
export function Breadcrumb({ chain }: { readonly chain: readonly AreaDetail[] }) {
  const { t } = useTranslation();
  if (chain.length === 0) return null;
  const up = chain.at(-2);
  return (
    <nav className="breadcrumb" aria-label={t("breadcrumb.label")}>
      {up && (
        <StateLink patch={{ area: up.code, level: undefined }} className="back-link">
          <span aria-hidden="true">←{"\u00a0"}</span>
          {t("breadcrumb.up", { name: up.name ?? up.code })}
        </StateLink>
      )}
      <ol>
        {chain.map((a, i) => (
          <li key={a.code}>
            {i === chain.length - 1 ? (
              <span aria-current="location">
                {a.name ?? a.code}
                {a.nameDivision !== undefined && a.nameDivision !== a.division && (
                  <span className="profile-code">
                    {" "}
                    ({a.code}, {t("table.nameFrom", { division: a.nameDivision })})
                  </span>
                )}
              </span>
            ) : (
              <StateLink patch={{ area: a.code, level: undefined }}>{a.name ?? a.code}</StateLink>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}
