/**
 * Observable Plot puts a `<style>` element into every chart it draws (its base styles, scoped to
 * the chart's class). The server's Content-Security-Policy (style-src 'self', no 'unsafe-inline')
 * refuses inline style elements, so the charts lose them before they are attached to the page —
 * while detached, the browser has not applied (or refused) them yet. The same rules are in
 * styles.css ("Observable Plot's base styles"). Styles Plot sets through element.style (the CSSOM)
 * are not governed by the CSP and stay.
 */
export function withoutInlineStyles<T extends Element>(chart: T): T {
  chart.querySelectorAll("style").forEach((style) => style.remove());
  return chart;
}
