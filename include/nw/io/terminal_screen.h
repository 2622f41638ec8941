#pragma once
// The terminal under `neptune-watchdog top`, through ncurses: the screen's size, its lines
// drawn with one of them highlighted, and keys read with a timeout (mapped to nw::TopKey).
// The terminal is restored when the screen goes, whatever ends the program's use of it.
// libncursesw is opened (dlopen) when the first screen is made, not linked: the daemon never
// draws, so it never maps the terminal libraries. Without it, making a screen throws.
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace nw {

class TerminalScreen {
 public:
  // Takes over the terminal of standard input and output (raw keys, no echo, no cursor).
  TerminalScreen();
  ~TerminalScreen();
  TerminalScreen(const TerminalScreen&) = delete;
  TerminalScreen& operator=(const TerminalScreen&) = delete;

  std::size_t width() const;
  std::size_t height() const;

  // Replaces the screen with `lines` (UTF-8; each at most width() characters); the line at
  // `highlight` (if within them) is drawn in reverse video.
  void draw(const std::vector<std::string>& lines, std::size_t highlight);

  // The next key within `timeout`: a character, or a TopKey; nullopt when none came (or the
  // terminal was resized: the caller draws again); kTopGone when the terminal went away.
  std::optional<int> key(std::chrono::milliseconds timeout);

 private:
  struct Curses;  // the library's functions
  static bool terminal_gone();
  const Curses& curses_;
};

// Whether standard output is a terminal (`top` prints one frame as text otherwise).
bool stdout_is_terminal();

}  // namespace nw
