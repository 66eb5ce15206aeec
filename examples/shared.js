// What the example pages share: labels, and the page's final state for whoever watches it
// (a person reads the labels; the browser tests read body[data-state] and #output-label).

export function setLabel(id, text) {
  const label = document.getElementById(id);
  if (label == null) throw Error("Cannot find label " + id);
  label.innerText = text;
}

/** Runs `main`, then marks the page done (its output as JSON) or failed (the error). */
export async function runExample(main) {
  try {
    const output = await main();
    setLabel("output-label", JSON.stringify(output, null, 2));
    document.body.dataset.state = "done";
  } catch (error) {
    console.error(error);
    setLabel("output-label", `${error.name}: ${error.message}`);
    document.body.dataset.state = "error";
  }
}
