// The online program (nw/io/online_program.h): every command, the daemon among them.
#include <exception>
#include <iostream>
#include <malloc.h>

#include "nw/app/watchdog_app.h"

int main(int argc, char** argv) {
  nw::block_process_signals();  // before any thread exists
  // Allocations of 512 KiB and more (large status answers, the JSON parser's buffers for them)
  // get a mapping of their own and go back to the system when freed. glibc's default raises
  // this threshold after each large free, after which a single large answer stays resident.
  mallopt(M_MMAP_THRESHOLD, 512 * 1024);
  try {
    return nw::WatchdogApp().run({argv + 1, argv + argc});
  } catch (const std::exception& e) {
    std::cerr << "neptune-watchdog: fatal: " << e.what() << "\n";
    return nw::kExitFailure;
  }
}
