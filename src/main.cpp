#include <exception>
#include <iostream>

#include "nw/app/watchdog_app.h"

int main(int argc, char** argv) {
  nw::block_process_signals();  // before any thread exists
  try {
    return nw::WatchdogApp().run({argv + 1, argv + argc});
  } catch (const std::exception& e) {
    std::cerr << "neptune-watchdog: fatal: " << e.what() << "\n";
    return nw::kExitFailure;
  }
}
