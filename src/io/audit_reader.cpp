#include "nw/io/audit_reader.h"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <simdjson.h>
#include <unistd.h>
#include <utility>
#include <vector>
#include <zlib.h>

#include "nw/core/rfc3339.h"

namespace nw {
namespace {

namespace ondemand = simdjson::ondemand;

// Bytes of lines read (or inflated) at a time: large enough that reads, inflate calls and the
// move of a block's last partial line to the front cost nothing next to the parsing.
constexpr std::size_t kBlock = std::size_t{4} << 20;
// Bytes of gzip data read at a time.
constexpr std::size_t kCompressedBlock = std::size_t{1} << 20;
static_assert(kBlock > kMaxAuditLine, "a whole line must fit in a block");
static_assert(kBlock >= kCompressedBlock, "the first read goes to the line buffer");

enum class LineKind { decision, event, skipped };

// The fields the digest needs, as bits of what a record has shown so far.
enum : unsigned {
  kTime = 1u << 0,
  kEndpoint = 1u << 1,
  kRule = 1u << 2,
  kOutcome = 1u << 3,
  kElapsed = 1u << 4,
  kLanguage = 1u << 5,
  kQuery = 1u << 6,
  kFingerprint = 1u << 7,
};
constexpr unsigned kAlwaysNeeded = kTime | kEndpoint | kRule | kOutcome | kElapsed;

std::string errno_text(int error) {
  return std::strerror(error);
}

}  // namespace

struct AuditReader::State {
  ondemand::parser parser;
  // Lines, with SIMDJSON_PADDING readable bytes after the block: a line is parsed where it is.
  std::vector<char> lines = std::vector<char>(kBlock + simdjson::SIMDJSON_PADDING);
  std::vector<unsigned char> compressed = std::vector<unsigned char>(kCompressedBlock);

  // One line (no newline). `readable` counts the bytes from line's start that may be read.
  LineKind parse(const char* line, std::size_t size, std::size_t readable, DigestRecord& r) {
    r = DigestRecord{};
    ondemand::document doc;
    if (parser.iterate(line, size, readable).get(doc)) return LineKind::skipped;
    ondemand::object object;
    if (doc.get_object().get(object)) return LineKind::skipped;
    unsigned seen = 0;
    for (auto field_result : object) {
      ondemand::field field;
      if (std::move(field_result).get(field)) return LineKind::skipped;
      const ondemand::raw_json_string key = field.key();
      ondemand::value value = field.value();
      std::string_view text;
      // The first character picks the one or two names to compare (keys are ASCII without
      // escapes as the daemon writes them; another spelling is an unknown key).
      switch (key.raw()[0]) {
        case 't':
          if (!key.unsafe_is_equal("time")) break;
          if (value.get_string().get(text)) return LineKind::skipped;
          if (const auto time = parse_rfc3339(text)) {
            r.time = *time;
            seen |= kTime;
          } else {
            return LineKind::skipped;
          }
          break;
        case 'e':
          if (key.unsafe_is_equal("event")) return LineKind::event;
          if (key.unsafe_is_equal("endpoint")) {
            if (value.get_string().get(r.endpoint)) return LineKind::skipped;
            seen |= kEndpoint;
          } else if (key.unsafe_is_equal("elapsed_ms")) {
            if (value.get_int64().get(r.elapsed_ms)) return LineKind::skipped;
            seen |= kElapsed;
          }
          break;
        case 'r':
          if (!key.unsafe_is_equal("rule")) break;
          if (value.get_string().get(r.rule)) return LineKind::skipped;
          seen |= kRule;
          break;
        case 'o':
          if (!key.unsafe_is_equal("outcome")) break;
          if (value.get_string().get(text)) return LineKind::skipped;
          if (const auto outcome = audit_outcome_named(text)) {
            r.outcome = *outcome;
            seen |= kOutcome;
          } else {
            return LineKind::skipped;
          }
          break;
        case 'l':
          if (!key.unsafe_is_equal("language")) break;
          if (value.get_string().get(text)) return LineKind::skipped;
          if (const auto language = language_named(text)) {
            r.language = *language;
            seen |= kLanguage;
          } else {
            return LineKind::skipped;
          }
          break;
        case 'q':
          if (!key.unsafe_is_equal("query")) break;
          if (value.get_string().get(r.query)) return LineKind::skipped;
          seen |= kQuery;
          break;
        case 'f':
          if (!key.unsafe_is_equal("fingerprint")) break;
          if (value.get_string().get(text)) return LineKind::skipped;
          r.fingerprint = parse_fingerprint_hex(text);
          if (!r.fingerprint) return LineKind::skipped;
          seen |= kFingerprint;
          break;
        default:
          break;
      }
    }
    // Anything after the object ("{...} {...}", "{...} x") makes the line damaged.
    const char* after = nullptr;
    if (!doc.current_location().get(after)) return LineKind::skipped;
    if ((seen & kAlwaysNeeded) != kAlwaysNeeded) return LineKind::skipped;
    if (!(seen & kFingerprint) && (seen & (kLanguage | kQuery)) != (kLanguage | kQuery))
      return LineKind::skipped;
    return LineKind::decision;
  }
};

AuditReader::AuditReader(int standard_input)
    : state_(std::make_unique<State>()), standard_input_(standard_input) {}

AuditReader::~AuditReader() = default;

AuditReadResult AuditReader::read(const std::string& path,
                                  const std::function<void(const DigestRecord&)>& on_record) {
  AuditReadResult result;
  const bool from_stdin = path == "-";
  const int fd = from_stdin ? standard_input_ : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    result.error = path + ": " + errno_text(errno);
    return result;
  }
  if (!from_stdin) ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  const auto fail = [&result, &path](const std::string& why) {
    if (result.error.empty()) result.error = path + ": " + why;
  };
  bool input_ended = false;
  // Up to `size` bytes of the file at `into`; 0 at its end or on an error (in result.error).
  const auto read_raw = [&](void* into, std::size_t size) -> std::size_t {
    while (!input_ended) {
      const ssize_t got = ::read(fd, into, size);
      if (got > 0) return static_cast<std::size_t>(got);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) fail(errno_text(errno));
      input_ended = true;
    }
    return 0;
  };

  State& s = *state_;
  char* const buffer = s.lines.data();
  std::size_t begin = 0, end = 0;  // the bytes of [begin, end) are not consumed yet

  // Gzip data is told by its first two bytes; they are read into the line buffer first and,
  // for gzip, copied to the inflater's input: no more than that holds.
  while (end < 2) {
    const std::size_t got = read_raw(buffer + end, kCompressedBlock - end);
    if (got == 0) break;
    end += got;
  }
  z_stream zs{};
  bool inflating = false, member_ended = false;
  if (end >= 2 && static_cast<unsigned char>(buffer[0]) == 0x1f &&
      static_cast<unsigned char>(buffer[1]) == 0x8b) {
    result.compressed = true;
    if (inflateInit2(&zs, 15 + 16) != Z_OK) {  // a gzip header and trailer, not zlib's
      fail("cannot start decompressing");
      end = 0;
    } else {
      inflating = true;
      std::memcpy(s.compressed.data(), buffer, end);
      zs.next_in = s.compressed.data();
      zs.avail_in = static_cast<uInt>(end);
      end = 0;
    }
  }

  // Inflates up to `size` bytes into `into`; 0 at the end of the data or on an error.
  const auto inflate_into = [&](char* into, std::size_t size) -> std::size_t {
    zs.next_out = reinterpret_cast<Bytef*>(into);
    zs.avail_out = static_cast<uInt>(size);
    while (zs.avail_out > 0) {
      if (zs.avail_in == 0) {
        const std::size_t got = read_raw(s.compressed.data(), s.compressed.size());
        if (got == 0) {
          if (!member_ended && result.error.empty())
            fail("the gzip data is cut short (the records before the cut were read)");
          break;
        }
        zs.next_in = s.compressed.data();
        zs.avail_in = static_cast<uInt>(got);
      }
      if (member_ended) {
        // gzip allows members one after another (cat a.gz b.gz); anything else is not gzip.
        if (zs.next_in[0] != 0x1f) {
          fail("data after the end of the gzip data was not read");
          break;
        }
        inflateReset(&zs);
        member_ended = false;
      }
      const int rc = inflate(&zs, Z_NO_FLUSH);
      if (rc == Z_STREAM_END) {
        member_ended = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        fail(std::string("the gzip data is corrupt (") + (zs.msg ? zs.msg : "inflate failed") +
             "; the records before it were read)");
        break;
      }
    }
    return size - zs.avail_out;
  };

  DigestRecord record;
  const auto take_line = [&](const char* line, std::size_t size) {
    while (size > 0 && (line[size - 1] == '\r' || line[size - 1] == ' ' || line[size - 1] == '\t'))
      --size;
    std::size_t lead = 0;
    while (lead < size && (line[lead] == ' ' || line[lead] == '\t')) ++lead;
    if (lead == size) return;
    ++result.lines;
    const std::size_t readable = static_cast<std::size_t>(buffer + s.lines.size() - line);
    switch (s.parse(line, size, readable, record)) {
      case LineKind::decision:
        ++result.decisions;
        on_record(record);
        break;
      case LineKind::event:
        ++result.events;
        break;
      case LineKind::skipped:
        ++result.skipped;
        break;
    }
  };

  bool overlong = false;  // inside a line longer than kMaxAuditLine: dropped up to its newline
  for (bool more = true; more;) {
    // The lines complete in the buffer.
    for (;;) {
      const void* newline = std::memchr(buffer + begin, '\n', end - begin);
      if (newline == nullptr) break;
      const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(newline) - buffer);
      if (overlong || at - begin > kMaxAuditLine) {
        overlong = false;
        ++result.lines;
        ++result.skipped;
      } else {
        take_line(buffer + begin, at - begin);
      }
      begin = at + 1;
    }
    if (end - begin > kMaxAuditLine) {
      overlong = true;
      begin = end;
    }
    if (begin > 0) {  // the last partial line to the front, to be completed by the next block
      std::memmove(buffer, buffer + begin, end - begin);
      end -= begin;
      begin = 0;
    }
    const std::size_t got =
        inflating ? inflate_into(buffer + end, kBlock - end) : read_raw(buffer + end, kBlock - end);
    more = got > 0;
    end += got;
  }
  // A last line without its newline (the daemon stopped while writing it, or a copy cut short).
  if (overlong || end - begin > kMaxAuditLine) {
    ++result.lines;
    ++result.skipped;
  } else if (end > begin) {
    take_line(buffer + begin, end - begin);
  }
  if (inflating) inflateEnd(&zs);
  if (!from_stdin) ::close(fd);
  return result;
}

}  // namespace nw
