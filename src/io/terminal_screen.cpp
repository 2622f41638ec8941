#include "nw/io/terminal_screen.h"

#include <algorithm>
#include <clocale>
#include <dlfcn.h>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <termios.h>
#include <unistd.h>

// For its types and constants only (WINDOW, attr_t, KEY_*, A_REVERSE, ERR); every function is
// called through Curses below, so no macro of it may be used here.
#include <ncurses.h>

#include "nw/core/top_view.h"

namespace nw {

// libncursesw, opened when a screen is first made: only `top` draws one, so the daemon and the
// other commands never load the terminal libraries (two shared objects and their pages).
struct TerminalScreen::Curses {
  // nc_NAME is the library's NAME (several names are also macros of <ncurses.h>).
  WINDOW* (*nc_initscr)();
  int (*nc_endwin)();
  int (*nc_raw)();
  int (*nc_noecho)();
  int (*nc_keypad)(WINDOW*, bool);
  int (*nc_curs_set)(int);
  int (*nc_set_escdelay)(int);
  int (*nc_werase)(WINDOW*);
  int (*nc_wattr_on)(WINDOW*, attr_t, void*);
  int (*nc_wattr_off)(WINDOW*, attr_t, void*);
  int (*nc_mvwaddstr)(WINDOW*, int, int, const char*);
  int (*nc_waddch)(WINDOW*, chtype);
  int (*nc_wrefresh)(WINDOW*);
  void (*nc_wtimeout)(WINDOW*, int);
  int (*nc_wgetch)(WINDOW*);
  WINDOW** stdscr;
  int* cols;
  int* lines;

  static const Curses& get() {
    static const Curses curses = open();
    return curses;
  }

 private:
  static Curses open() {
    // The handle stays open for the process's life: the screen's functions are its.
    void* library = ::dlopen("libncursesw.so.6", RTLD_NOW | RTLD_LOCAL);
    if (!library)
      throw std::runtime_error(std::string("top needs libncursesw.so.6 (Debian's libncursesw6): ") +
                               ::dlerror());
    const auto find = [library](const char* name) {
      void* symbol = ::dlsym(library, name);
      if (!symbol)
        throw std::runtime_error(std::string("libncursesw.so.6 lacks ") + name + ": " +
                                 ::dlerror());
      return symbol;
    };
    Curses c{};
    const auto bind = [&](auto& slot, const char* name) {
      slot = reinterpret_cast<std::remove_reference_t<decltype(slot)>>(find(name));
    };
    bind(c.nc_initscr, "initscr");
    bind(c.nc_endwin, "endwin");
    bind(c.nc_raw, "raw");
    bind(c.nc_noecho, "noecho");
    bind(c.nc_keypad, "keypad");
    bind(c.nc_curs_set, "curs_set");
    bind(c.nc_set_escdelay, "set_escdelay");
    bind(c.nc_werase, "werase");
    bind(c.nc_wattr_on, "wattr_on");
    bind(c.nc_wattr_off, "wattr_off");
    bind(c.nc_mvwaddstr, "mvwaddstr");
    bind(c.nc_waddch, "waddch");
    bind(c.nc_wrefresh, "wrefresh");
    bind(c.nc_wtimeout, "wtimeout");
    bind(c.nc_wgetch, "wgetch");
    bind(c.stdscr, "stdscr");
    bind(c.cols, "COLS");
    bind(c.lines, "LINES");
    return c;
  }
};

TerminalScreen::TerminalScreen() : curses_(Curses::get()) {
  std::setlocale(LC_ALL, "");  // UTF-8 text drawn as characters, not bytes
  curses_.nc_initscr();
  curses_.nc_raw();  // Ctrl-C arrives as a key: the program's signals are blocked for its own loop
  curses_.nc_noecho();
  curses_.nc_keypad(*curses_.stdscr, true);
  curses_.nc_curs_set(0);
  curses_.nc_set_escdelay(25);
}

TerminalScreen::~TerminalScreen() {
  curses_.nc_endwin();
}

std::size_t TerminalScreen::width() const {
  return static_cast<std::size_t>(std::max(0, *curses_.cols));
}

std::size_t TerminalScreen::height() const {
  return static_cast<std::size_t>(std::max(0, *curses_.lines));
}

void TerminalScreen::draw(const std::vector<std::string>& lines, std::size_t highlight) {
  WINDOW* screen = *curses_.stdscr;
  curses_.nc_werase(screen);
  for (std::size_t i = 0; i < lines.size() && i < height(); ++i) {
    if (i == highlight) curses_.nc_wattr_on(screen, A_REVERSE, nullptr);
    curses_.nc_mvwaddstr(screen, static_cast<int>(i), 0, lines[i].c_str());
    if (i == highlight) {
      // The whole row reversed, not only its text.
      for (int x = getcurx(screen); x < *curses_.cols && getcury(screen) == static_cast<int>(i);
           ++x)
        curses_.nc_waddch(screen, ' ');
      curses_.nc_wattr_off(screen, A_REVERSE, nullptr);
    }
  }
  curses_.nc_wrefresh(screen);
}

std::optional<int> TerminalScreen::key(std::chrono::milliseconds timeout_ms) {
  curses_.nc_wtimeout(*curses_.stdscr, static_cast<int>(timeout_ms.count()));
  const auto asked = std::chrono::steady_clock::now();
  const int k = curses_.nc_wgetch(*curses_.stdscr);
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
