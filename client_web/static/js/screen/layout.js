// Where each panel of the big screen goes in each phase, so the hall sees everything without scrolling.

/**
 * The screen's arrangements, by what the hall should look at:
 * - `waiting`: before the deadline, the countdown to the opening, huge;
 * - `opening`: deadline to read-out, the decryption progress and countdown;
 * - `readout`: the read-out table with the objections and answers beside it;
 * - `evaluation`: the live picture of the evaluation room, large, with the stage;
 * - `result`: the candidates, the reasons and the publicity, the picture smaller beside them.
 */
export function layoutName(view) {
  if (!view) return "waiting";
  if ((view.results ?? []).length > 0) return "result";
  if (view.phase === "evaluation") return "evaluation";
  if (view.readout) return "readout";
  if (["unscheduled", "scheduled"].includes(view.phase)) return "waiting";
  return "opening";
}

// Width of the main column to the side column.
const COLUMNS = Object.freeze({
  waiting: "minmax(0, 1fr) minmax(0, 1fr)",
  opening: "minmax(0, 1.1fr) minmax(0, 1fr)",
  // The read-out's values never wrap: it needs the room more than the objections beside it.
  readout: "minmax(0, 7fr) minmax(0, 3fr)",
  evaluation: "minmax(0, 2.2fr) minmax(0, 1fr)",
  result: "minmax(0, 3fr) minmax(0, 2fr)",
});

const panel = (id, grow = false) => ({ id, grow });
const optional = (present, id, grow = false) => (present ? [panel(id, grow)] : []);

/**
 * The panels of a layout: `top` and `bottom` span the width; `main` and `side`
 * are two columns. A panel that `grow`s takes the height left over.
 * `present` says which optional panels have something to show:
 * `{notice, facts, objections, record, video, hall}`.
 */
export function screenPanels(name, present) {
  switch (name) {
    case "waiting":
      return {
        top: optional(present.notice, "notice"),
        main: [panel("phase", true)],
        side: optional(present.video, "video", true),
        bottom: optional(present.facts, "facts"),
      };
    case "opening":
      // From the deadline the hall follows every bid: its rows take the side column.
      // The objections and the picture go under the clock; the tender's facts give way.
      if (present.hall) {
        return {
          top: optional(present.notice, "notice"),
          main: [
            panel("phase", !present.objections && !present.video),
            panel("progress"),
            ...optional(present.objections, "objections", true),
            ...optional(present.video && !present.objections, "video", true),
          ],
          side: [panel("hall", true)],
          bottom: [],
        };
      }
      return {
        top: [],
        main: [panel("phase", !present.objections)],
        side: [panel("progress", !present.objections), ...optional(present.video, "video", true)],
        // Objections need the room more than the tender's facts, which the hall has seen.
        bottom: [
          ...optional(present.notice, "notice"),
          ...optional(present.objections, "objections", true),
          ...optional(present.facts && !present.objections, "facts"),
        ],
      };
    case "readout":
      return {
        top: optional(present.notice, "notice"),
        main: [panel("phase"), panel("readout", true)],
        side: [
          ...optional(present.video, "video"),
          ...optional(present.record, "record"),
          ...optional(present.objections, "objections", true),
        ],
        bottom: [],
      };
    case "evaluation":
      // Without a picture the stage and its clock take the screen, the record below them.
      if (!present.video) {
        return {
          top: optional(present.notice, "notice"),
          main: [panel("evaluation"), panel("phase", true)],
          side: [],
          bottom: optional(present.record, "record"),
        };
      }
      return {
        top: optional(present.notice, "notice"),
        main: [panel("video", true)],
        side: [panel("phase", true), panel("evaluation"), ...optional(present.record, "record")],
        bottom: [],
      };
    case "result":
      return {
        top: optional(present.notice, "notice"),
        main: [panel("results", true)],
        side: [...optional(present.video, "video"), panel("phase", true), ...optional(present.record, "record")],
        bottom: [],
      };
    default:
      throw new Error(`no screen layout ${name}`);
  }
}

// Stretch a column to `rows` rows: its growing panel (else its last) takes the extra rows.
function spread(panels, rows) {
  const growing = panels.findIndex((p) => p.grow);
  const at = growing >= 0 ? growing : panels.length - 1;
  return panels.flatMap((p, index) => Array(index === at ? rows - panels.length + 1 : 1).fill(p));
}

/**
 * CSS grid values for the panels: `{areas, rows, columns, shown, grown}` where
 * `areas` is `grid-template-areas` (area names are the panel ids), `shown`
 * lists every panel placed and `grown` those in rows that share the leftover height.
 */
export function gridTemplate(name, panels) {
  const rows = [];
  const wide = (p) => rows.push({ cells: [p.id, p.id], grow: p.grow });
  panels.top.forEach(wide);
  const { main, side } = panels;
  if (main.length === 0 || side.length === 0) {
    [...main, ...side].forEach(wide);
  } else {
    const count = Math.max(main.length, side.length);
    const left = spread(main, count);
    const right = spread(side, count);
    const start = rows.length;
    for (let i = 0; i < count; i += 1) {
      // A row grows when a panel that begins and ends in it grows.
      const alone = (column) => column[i].grow && column.indexOf(column[i]) === i && column.lastIndexOf(column[i]) === i;
      rows.push({ cells: [left[i].id, right[i].id], grow: alone(left) || alone(right) });
    }
    // A growing panel that spans rows: its last row takes the leftover height.
    if (!rows.slice(start).some((row) => row.grow)) {
      for (const column of [left, right]) {
        const grower = column.find((p) => p.grow);
        if (grower) rows[start + column.lastIndexOf(grower)].grow = true;
      }
    }
  }
  panels.bottom.forEach(wide);
  return {
    areas: rows.map((row) => `"${row.cells.join(" ")}"`).join(" "),
    rows: rows.map((row) => (row.grow ? "minmax(0, 1fr)" : "auto")).join(" "),
    columns: COLUMNS[name],
    shown: [...new Set(rows.flatMap((row) => row.cells))],
    // Panels given leftover height may use larger type.
    grown: [...new Set(rows.filter((row) => row.grow).flatMap((row) => row.cells))],
  };
}

/** The layout for `view`: its name and grid, given which optional panels have content. */
export function screenLayout(view, present) {
  const name = layoutName(view);
  return { name, ...gridTemplate(name, screenPanels(name, present)) };
}
