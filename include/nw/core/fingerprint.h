#pragma once
// A query's shape: its text with the values taken out, so that the copies an application
// sends again and again (with other ids, names, numbers) share one fingerprint. Quarantine,
// per-shape limits, the audit's `fingerprint` field and `--digest` all use it.
//
// The normalised text, per language:
//   - string and number literals become `?` (booleans too; `null` stays: it is a shape);
//     a negative number's sign goes with it; two or more `?` in a row, separated by commas
//     or blanks, become one `?+`, and so does one `?` alone where a list of any length
//     could stand: `[?]`; in SPARQL VALUES' `{?}`, `IN (?)`, a row or collection `(?)`; in
//     Gremlin the steps that take any number of values (`V(?)`, `hasId`, `within`, `without`,
//     `inject`, ...). SPARQL VALUES rows of literals, `(?+)(?+)...`, become one `(?+)`. So
//     lists of literals of any length share one shape.
//   - a `?` or `?+` in openCypher or Gremlin text (no character of either language) is read
//     as the literals it stands for, so that a normalised query normalises to itself;
//   - parameters stay as written (`$name` in openCypher); identifiers, labels, property keys,
//     IRIs (`<http://...>`) and prefixed names stay: they are the shape;
//   - comments go (`//` and `/* */`; `#` in SPARQL), and so does whitespace: one blank is kept
//     between two words and around keywords, and where two tokens written together would read
//     as another (`? +x`, not `?+`, for `1 + x`; `/ *`, not a comment), none elsewhere;
//   - keywords and function names are case-folded to lower case in openCypher and SPARQL,
//     whose keywords ignore case; Gremlin's steps are method names and keep their case. In
//     openCypher a word where only a name can stand (after `.`, a label or relationship type
//     after `:`, a map's key) is a name even when it is spelled like a keyword: `(o:Order)`,
//     `[:IN]`, `n.limit` keep their case.
//   - Gremlin keeps the strings that name things (labels, property keys, step labels:
//     `hasLabel('person')`, `out('knows')`, `values('name')`; written between `'` unless
//     that would read back as another string) and replaces those that are values: every
//     argument of V, E, hasId, is, constant, inject and the predicates (eq, within, gt, ...),
//     the value of has(key, value) and has(label, key, value), the values of
//     property(key, value, ...), and a map's values (`['name': 'marko']`).
//   - Text in Gremlin's bytecode form as Neptune shows it (`[[], [V(), has(name, marko)]]`,
//     starting with `[[`) shows strings bare, so there a value is everything up to its
//     argument's end (`marko polo`, `O'Brien`, `http://x.org/a` are each one `?`), quotes and
//     `//` are part of it, and a map `{name=marko}` keeps its keys and replaces its values.
//     A value that holds `(`, `)` or `,` cannot be told from the text around it.
//
// The fingerprint is MurmurHash64A (seed kFingerprintSeed) of the normalised text's bytes,
// written as 16 lower-case hex digits. Both the normalisation and the hash are part of the
// audit contract: a fingerprint in last year's audit log means the same shape today. Any
// change to them is a new kFingerprintVersion, said in the release notes
// (tests/unit/core/fingerprint_test.cpp pins a fixture set).
//
// Pure and total: any bytes (unterminated strings, invalid UTF-8, megabytes of text) give a
// fingerprint in time linear in the text's length. Safe to call from any thread: its working
// memory is per thread and holds nothing from one call to the next. Neptune shows at most
// 1,024 characters of a query's text, so a longer query's fingerprint is that of what it shows.
#include <cstdint>
#include <string>
#include <string_view>

#include "nw/core/query_status.h"

namespace nw {

inline constexpr int kFingerprintVersion = 1;
inline constexpr std::uint64_t kFingerprintSeed = 0x6e657074756e6531ULL;  // "neptune1"

struct Fingerprint {
  std::uint64_t hash = 0;
  std::string text;  // the normalised text
};

// The shape of `text`, a query in `language`.
Fingerprint fingerprint_query(Language language, std::string_view text);

// 16 lower-case hex digits.
std::string fingerprint_hex(std::uint64_t hash);

// MurmurHash64A of `bytes` with `seed`: the fingerprint's hash, exposed for its pinned tests.
std::uint64_t murmur_hash64a(std::string_view bytes, std::uint64_t seed);

}  // namespace nw
