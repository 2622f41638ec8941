#include "nw/io/terminal_screen.h"

#include <clocale>
#include <ncurses.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include "nw/core/top_view.h"

namespace nw {

TerminalScreen::TerminalScreen() {
  std::setlocale(LC_ALL, "");  // UTF-8 text drawn as characters, not bytes
  initscr();
  raw();  // Ctrl-C arrives as a key: the program's signals are blocked for its own loop
  noecho();
  keypad(stdscr, TRUE);
  curs_set(0);
  set_escdelay(25);
}

TerminalScreen::~TerminalScreen() {
  endwin();
}

std::size_t TerminalScreen::width() const {
  return static_cast<std::size_t>(std::max(0, COLS));
}

std::size_t TerminalScreen::height() const {
  return static_cast<std::size_t>(std::max(0, LINES));
}

void TerminalScreen::draw(const std::vector<std::string>& lines, std::size_t highlight) {
  erase();
  for (std::size_t i = 0; i < lines.size() && i < height(); ++i) {
    if (i == highlight) attron(A_REVERSE);
    mvaddstr(static_cast<int>(i), 0, lines[i].c_str());
    if (i == highlight) {
      // The whole row reversed, not only its text.
      for (int x = getcurx(stdscr); x < COLS && getcury(stdscr) == static_cast<int>(i); ++x)
        addch(' ');
      attroff(A_REVERSE);
    }
  }
  refresh();
}

std::optional<int> TerminalScreen::key(std::chrono::milliseconds timeout_ms) {
  timeout(static_cast<int>(timeout_ms.count()));
  const auto asked = std::chrono::steady_clock::now();
  const int k = getch();
  switch (k) {
    case ERR:
      // Early, without a key: the terminal may be gone (a closed SSH session, a killed tmux),
      // and every further read would return at once.
      if (std::chrono::steady_clock::now() - asked < timeout_ms / 2 && terminal_gone())
        return kTopGone;
      return std::nullopt;
    case KEY_RESIZE:
      return std::nullopt;
    case KEY_UP:
      return kTopUp;
    case KEY_DOWN:
      return kTopDown;
    case KEY_PPAGE:
      return kTopPageUp;
    case KEY_NPAGE:
      return kTopPageDown;
    case KEY_HOME:
      return kTopHome;
    case KEY_END:
      return kTopEnd;
    case KEY_ENTER:
    case '\n':
    case '\r':
      return kTopEnter;
    case 27:
      return kTopEscape;
    case KEY_BACKSPACE:
    case 127:
    case 8:
      return kTopBackspace;
    default:
      return k;
  }
}

bool TerminalScreen::terminal_gone() {
  pollfd p{STDIN_FILENO, POLLIN, 0};
  if (::poll(&p, 1, 0) < 0) return true;
  if (p.revents & (POLLHUP | POLLERR | POLLNVAL)) return true;
  termios mode{};
  return ::tcgetattr(STDIN_FILENO, &mode) != 0;
}

bool stdout_is_terminal() {
  return ::isatty(STDOUT_FILENO) == 1;
}

}  // namespace nw
