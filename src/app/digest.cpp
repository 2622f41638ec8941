#include "nw/app/digest.h"

#include "nw/app/watchdog_app.h"
#include "nw/io/audit_reader.h"

namespace nw {

int run_digest(const std::vector<std::string>& paths, const DigestOptions& options,
               std::ostream& out, std::ostream& err) {
  DigestAccumulator accumulator(options.range);
  AuditReader reader(options.standard_input);
  const auto add = [&accumulator](const DigestRecord& record) { accumulator.add(record); };
  std::uint64_t skipped = 0;
  bool unreadable = false;
  for (const auto& path : paths) {
    const AuditReadResult read = reader.read(path, add);
    skipped += read.skipped;
    if (!read.error.empty()) {
      err << "neptune-watchdog: " << terminal_safe(read.error) << "\n";
      unreadable = true;
    }
  }
  const Digest digest = accumulator.finish();
  if (options.format == DigestFormat::json)
    out << format_digest_json(digest, options.limit.value_or(0));
  else
    out << format_digest_text(digest, DigestSources{paths.size(), options.range},
                              options.limit.value_or(kDefaultTextLimit));
  out.flush();
  if (skipped > 0)
    err << "neptune-watchdog: " << skipped << (skipped == 1 ? " line" : " lines")
        << " skipped: not a decision record the digest can read\n";
  return unreadable ? kExitNoInput : kExitOk;
}

}  // namespace nw
