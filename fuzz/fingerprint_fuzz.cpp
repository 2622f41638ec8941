// libFuzzer target: the query normaliser behind fingerprints (nw/core/fingerprint.h), which
// reads query text chosen by whoever sends queries to Neptune. The whole input is one query,
// fingerprinted as each of the three languages (Gremlin bytecode form when it starts with
// `[[`). Seeds: fuzz/corpus/fingerprint/.
//
// What must hold for any bytes:
//   - no crash, no sanitizer finding, no time-out (the normaliser is linear in the text);
//   - the hash is MurmurHash64A of the normalised text, and its hex form 16 lower-case digits;
//   - the same text gives the same fingerprint;
//   - the normalised text is at most twice the input plus 3 bytes: tokens are never written
//     longer than they are read (a literal becomes one `?`, a run of them `?+`; only an
//     unterminated Gremlin string gains its closing quote, or three), and a blank is added
//     at most once per token, which is at least a byte long (`a?a?` becomes `a ? a ?`);
//   - in openCypher normalising is stable from the second time on: the normalised text of a
//     normalised text is itself. (Not from the first: `''+x` gives `?+x`, which reads back
//     as `?+ x`, a run of literals and a word, and then stays.
//     In SPARQL a `?` read back changes its blanks; in Gremlin's bytecode form, whose values
//     are bare text, a `?+` written across the arguments of a call with unbalanced brackets
//     reads back as another number of arguments. The unit tables check stability for real
//     openCypher and Gremlin queries.)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_support.h"
#include "nw/core/fingerprint.h"

using namespace nw;

namespace {

bool lower_hex(const std::string& s) {
  if (s.size() != 16) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  for (Language language : {Language::opencypher, Language::gremlin, Language::sparql}) {
    const Fingerprint fp = fingerprint_query(language, input);
    const std::string name(to_string(language));
    FUZZ_CHECK(lower_hex(fingerprint_hex(fp.hash)), name + ": hex is not 16 lower-case digits");
    FUZZ_CHECK(fp.hash == murmur_hash64a(fp.text, kFingerprintSeed),
               name + ": hash is not that of the normalised text");
    FUZZ_CHECK(fp.text.size() <= 2 * size + 3,
               name + ": normalised text of " + std::to_string(fp.text.size()) +
                   " bytes for an input of " + std::to_string(size));
    const Fingerprint again = fingerprint_query(language, input);
    FUZZ_CHECK(again.hash == fp.hash && again.text == fp.text, name + ": not deterministic");
    if (language != Language::opencypher) continue;
    const std::string twice = fingerprint_query(language, fp.text).text;
    const std::string thrice = fingerprint_query(language, twice).text;
    FUZZ_CHECK(thrice == twice,
               name + ": normalising is not stable: \"" + twice + "\" gives \"" + thrice + "\"");
  }
  return 0;
}
