// `unload report RUN_DIR`: one self-contained HTML file about a run or a comparison of strategies,
// for people to read (the CSV and JSON files stay the contract for scripts).
//
// RUN_DIR is either
//   a run directory (`unload run`): summary.json, waveforms.csv, beats.csv, alarms.csv; or
//   a comparison directory (`unload compare`): compare.json, and one run directory per strategy
//   (and per "what if" run) in the subdirectory that compare.json names ("output").
// It is a comparison when compare.json is present.
//
// The file holds no script and fetches nothing: the plots are SVG written by io/svg_plot.hpp, the
// style is inline. What it shows: the arterial, LV and pulmonary pressures and LV volume through
// the procedure (min/max per pixel column, with the beat's MAP, and 6 s at full resolution),
// pressure-volume loops before, during and after each inflation (full resolution of the chosen
// beats), the pumps' flow, speed and motor current, the console's alarm timeline, the strategies'
// metrics as a table and as dot plots with the variants' p10-p90 bands, and a conversation with
// the patient: NICE's five questions (IPG633, information for the public) answered from the data,
// with the published complication rates of data/report/complications.toml. Every section says
// that the results come from a simulation for education and research and are not clinical advice.
//
// Every plot is an <svg class="plot"> whose data are elements of class "data" with a
// data-points attribute (tests/report/ checks that each one rendered with data).
#pragma once

#include <filesystem>
#include <string>

namespace unload::io {

// RUN_DIR/report.html.
std::filesystem::path default_report_path(const std::filesystem::path& run_dir);

// The report of RUN_DIR as HTML text. InputError naming the file (and line, or key) and what was
// expected when RUN_DIR is not a run or comparison directory, or one of its files is malformed.
std::string report_html(const std::filesystem::path& run_dir);

// Writes report_html(run_dir) to html_out: into a temporary file beside it, renamed into place, so
// that html_out is either the whole report or untouched. std::runtime_error when it cannot be
// written.
void write_report(const std::filesystem::path& run_dir, const std::filesystem::path& html_out);
// The same for HTML already made (the report command checks where it goes in between).
void write_report_html(const std::string& html, const std::filesystem::path& html_out);

}  // namespace unload::io
