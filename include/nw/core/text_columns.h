#pragma once
// Text laid out in columns, for the tables `--digest`, `status` and `top` print: query texts on
// one line, cut or padded to a number of characters (UTF-8 code points, not bytes).
#include <cstddef>
#include <string>
#include <string_view>

namespace nw {

// Runs of whitespace (a query's line breaks and indentation) as one space, none at the start:
// a query reads on one line instead of as escaped line breaks.
std::string collapse_blanks(std::string_view text);

// Text from the wire on one line of a terminal: blanks collapsed, then terminal_safe().
std::string terminal_line(std::string_view text);

// As much of `text` (whole UTF-8 sequences) as fits in `columns` terminal columns (East Asian
// wide characters and emoji take two), padded with blanks to exactly `columns` when `pad`.
std::string fit_columns(const std::string& text, std::size_t columns, bool pad = false);

}  // namespace nw
