/** A grant in words: to whom, what, where (shared by the account page and the administration). */
import type { TFunction } from "i18next";
import { useTranslation } from "react-i18next";
import type { Grant, GrantWhat } from "../api/accounts";

/** "Rol: wijkprofessional", "Organisatie: corporatie-almere", "Gebruiker: u-…" (names when known). */
export function useGrantTo(names?: ReadonlyMap<string, string>): (to: Grant["to"]) => string {
  const { t } = useTranslation();
  return (to) => {
    if (to.kind === "role")
      return `${t("grant.kind.role")}: ${to.id === "public" ? t("role.public") : t(`role.${to.id}`, { defaultValue: to.id })}`;
    return `${t(`grant.kind.${to.kind}`)}: ${names?.get(to.id) ?? to.id}`;
  };
}

export function GrantWhatText({ what }: { readonly what: GrantWhat }) {
  const { t } = useTranslation();
  if (what === "open-data") return <>{t("grant.openData")}</>;
  if (what === "synthetic-data") return <>{t("grant.syntheticData")}</>;
  const parts: string[] = [];
  if (what.domains?.length)
    parts.push(`${t("grant.domains")}: ${what.domains.map((d) => t(`domain.${d}`)).join(", ")}`);
  if (what.indicators?.length) parts.push(`${t("grant.indicators")}: ${what.indicators.join(", ")}`);
  if (what.profiles?.length) parts.push(`${t("grant.profiles")}: ${what.profiles.join(", ")}`);
  return <>{parts.join("; ") || "–"}</>;
}

export function grantAreasText(g: Pick<Grant, "areas">, t: TFunction): string {
  return g.areas?.length ? g.areas.join(", ") : t("grant.everywhere");
}
