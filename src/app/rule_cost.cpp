#include "nw/app/rule_cost.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>

namespace nw {
namespace {

constexpr std::size_t kSampleTexts = 1000;
constexpr std::size_t kSampleLength = 1024;
// The measured cost from which a warning calls the regex expensive rather than large: 50 ms
// per 1,000 texts is 0.4 s of a core for a full status list of 8,192 queries, at every poll.
constexpr double kExpensivePer1000 = 0.050;
// Even past its budget a measurement searches this many texts, so that one slow first text
// does not make the whole estimate.
constexpr std::size_t kMinTexts = 8;

// Query-like words of the three languages, none of which is a typical rule's tail: the rule's
// own words (near_miss_sample) make the near misses. '|' separates them.
const char kVocabulary[] =
    "MATCH|(n:Person)|WHERE|n.name|=|'alice'|RETURN|n|WITH|count(*)|AS|c|ORDER BY|"
    "LIMIT 10|UNWIND|$ids|-[:KNOWS]->|(m)|{id: 42}|AND|OR|g.V()|.has('name', 'x')|"
    ".out('knows')|.values('age')|SELECT|?s|?p|?o|FILTER|{|}|OPTIONAL|DISTINCT";

const std::vector<std::string>& vocabulary() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> out;
    std::string word;
    for (const char c : std::string(kVocabulary) + '|') {
      if (c != '|') {
        word += c;
        continue;
      }
      out.push_back(word);
      word.clear();
    }
    return out;
  }();
  return words;
}

// A fixed generator: the sample must be the same on every machine and run, which
// std::uniform_int_distribution does not promise.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

// Runs of three or more ASCII letters in `pattern`, in order, without repeats. The letter
// after a backslash is an escape (\b, \s, \w), and (?i) style flags are not words.
std::vector<std::string> pattern_words(const std::string& pattern) {
  std::vector<std::string> words;
  std::string word;
  const auto flush = [&] {
    if (word.size() >= 3 && std::find(words.begin(), words.end(), word) == words.end())
      words.push_back(word);
    word.clear();
  };
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      flush();
      ++i;
      continue;
    }
    if (c == '(' && i + 1 < pattern.size() && pattern[i + 1] == '?') {
      flush();
      i += 2;
      while (i < pattern.size() && pattern[i] != ')' && pattern[i] != ':' && pattern[i] != '>') ++i;
      continue;
    }
    if (std::isalpha(static_cast<unsigned char>(c)))
      word += c;
    else
      flush();
  }
  flush();
  return words;
}

std::string sample_text(SplitMix64& rng, const std::vector<std::string>& words,
                        std::size_t length) {
  const std::vector<std::string>& common = vocabulary();
  std::string text;
  text.reserve(length + 32);
  while (text.size() < length) {
    // Half the words are the regex's own, so that its prefixes keep starting afresh.
    if (!words.empty() && rng.below(2) == 0)
      text += words[rng.below(words.size())];
    else
      text += common[rng.below(common.size())];
    text += ' ';
  }
  text.resize(length);
  return text;
}

bool found(const re2::RE2& regex, const std::string& text) {
  return re2::RE2::PartialMatch(re2::StringPiece(text.data(), text.size()), regex);
}

// "1.7 s", "45 ms", "0.02 ms".
std::string seconds_text(double seconds) {
  char buffer[32];
  if (seconds >= 10)
    std::snprintf(buffer, sizeof buffer, "%.0f s", seconds);
  else if (seconds >= 1)
    std::snprintf(buffer, sizeof buffer, "%.1f s", seconds);
  else if (seconds >= 0.001)
    std::snprintf(buffer, sizeof buffer, "%.0f ms", seconds * 1000);
  else
    std::snprintf(buffer, sizeof buffer, "%.2f ms", seconds * 1000);
  return buffer;
}

// 12345 -> "12,345".
std::string grouped(long long n) {
  std::string digits = std::to_string(n);
  for (int i = static_cast<int>(digits.size()) - 3; i > 0; i -= 3)
    digits.insert(static_cast<std::size_t>(i), ",");
  return digits;
}

// A counted repetition in a pattern: `{` to `}` inclusive, its upper bound (its lower one
// for {n} and {n,}), and where its operand starts when that is one character or an escape.
struct Counted {
  std::size_t operand = 0;
  std::size_t open = 0;
  std::size_t close = 0;
  long bound = 0;
};

// The counted repetitions of `pattern`, in order. Escaped characters and character classes
// are skipped, and a brace that RE2 reads as a literal ("{id: 42}", "{,5}") is not one.
std::vector<Counted> counted_repetitions(const std::string& pattern) {
  std::vector<Counted> out;
  std::size_t operand = 0;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '\\') {
      operand = i++;
      continue;
    }
    if (c == '[') {
      // A class: up to its closing bracket, which may not come first ("[]a]", "[^]a]").
      std::size_t j = i + 1;
      if (j < pattern.size() && pattern[j] == '^') ++j;
      if (j < pattern.size() && pattern[j] == ']') ++j;
      for (; j < pattern.size() && pattern[j] != ']'; ++j)
        if (pattern[j] == '\\') ++j;
      i = std::min(j, pattern.size());
      operand = pattern.size();  // not shown: "[...]" may be long
      continue;
    }
    if (c != '{') {
      operand = c == ')' ? pattern.size() : i;
      continue;
    }
    std::size_t j = i + 1;
    long low = -1, high = -1;
    bool comma = false;
    for (; j < pattern.size(); ++j) {
      const char d = pattern[j];
      long& number = comma ? high : low;
      if (std::isdigit(static_cast<unsigned char>(d)))
        number = std::min<long>((number < 0 ? 0 : number * 10) + (d - '0'), 100000);
      else if (d == ',' && !comma)
        comma = true;
      else
        break;
    }
    if (j >= pattern.size() || pattern[j] != '}' || low < 0) {
      operand = i;  // a literal brace
      continue;
    }
    out.push_back({operand, i, j, std::max(low, high)});
    i = j;
  }
  return out;
}

// The program size of `regex` with every counted repetition made a star: what the regex would
// cost without them. 0 when that does not compile (x{2}{3} makes x**), so that the whole
// program is then put down to them.
int size_without_counts(const re2::RE2& regex, const std::vector<Counted>& counted) {
  const std::string& pattern = regex.pattern();
  std::string starred;
  std::size_t from = 0;
  for (const Counted& c : counted) {
    starred.append(pattern, from, c.open - from);
    starred += '*';
    from = c.close + 1;
  }
  starred.append(pattern, from, std::string::npos);
  re2::RE2 plain(starred, regex.options());
  return plain.ok() ? std::max(plain.ProgramSize(), plain.ReverseProgramSize()) : 0;
}

// ".{0,500}" for the repetition with the largest bound, or just "{0,500}" when its operand
// is a group or a class.
std::string largest_counted_repetition(const std::string& pattern) {
  const auto counted = counted_repetitions(pattern);
  const auto largest =
      std::max_element(counted.begin(), counted.end(),
                       [](const Counted& a, const Counted& b) { return a.bound < b.bound; });
  if (largest == counted.end()) return "";
  const std::size_t from = largest->operand < largest->open ? largest->operand : largest->open;
  return pattern.substr(from, largest->close - from + 1);
}

RegexCost cost_of(std::string key, const re2::RE2& regex,
                  std::chrono::steady_clock::duration budget) {
  RegexCost cost;
  cost.key = std::move(key);
  cost.pattern = regex.pattern();
  cost.program_size = std::max(regex.ProgramSize(), regex.ReverseProgramSize());
  const auto counted = counted_repetitions(cost.pattern);
  if (!counted.empty())
    cost.counted_instructions =
        std::max(0, cost.program_size - size_without_counts(regex, counted));
  cost.large = cost.counted_instructions > kCountedRepetitionLimit;
  if (!cost.large) return cost;
  const std::vector<std::string> sample = near_miss_sample(regex, kSampleTexts, kSampleLength);
  const auto start = std::chrono::steady_clock::now();
  auto now = start;
  std::size_t searched = 0;
  for (const std::string& text : sample) {
    found(regex, text);
    ++searched;
    now = std::chrono::steady_clock::now();
    if (searched >= kMinTexts && now - start >= budget) break;
  }
  cost.texts_measured = searched;
  const std::chrono::duration<double> spent = now - start;
  cost.seconds_per_1000 = spent.count() * 1000.0 / static_cast<double>(searched);
  return cost;
}

}  // namespace

std::vector<std::string> near_miss_sample(const re2::RE2& regex, std::size_t count,
                                          std::size_t length) {
  std::vector<std::string> words = pattern_words(regex.pattern());
  // Drop the regex's last words until a first text no longer matches: what remains leads
  // into the regex without completing it.
  for (;;) {
    SplitMix64 probe(0x6e772d7765);
    if (words.empty() || !found(regex, sample_text(probe, words, length))) break;
    words.pop_back();
  }
  SplitMix64 rng(0x6e772d7765);
  std::vector<std::string> texts;
  texts.reserve(count);
  for (std::size_t i = 0; i < count; ++i) texts.push_back(sample_text(rng, words, length));
  return texts;
}

std::vector<RegexCost> measure_regex_costs(const Policy& policy,
                                           std::chrono::steady_clock::duration budget) {
  std::vector<RegexCost> costs;
  for (const Rule& r : policy.rules) {
    if (r.query_matches)
      costs.push_back(cost_of("rule." + r.name + ".query_matches", *r.query_matches, budget));
    if (r.query_excludes)
      costs.push_back(cost_of("rule." + r.name + ".query_excludes", *r.query_excludes, budget));
  }
  for (const Protection& p : policy.protections)
    if (p.query_matches)
      costs.push_back(cost_of(p.section + ".query_matches", *p.query_matches, budget));
  return costs;
}

std::vector<ConfigError> regex_cost_warnings(const std::vector<RegexCost>& costs) {
  std::vector<ConfigError> warnings;
  for (const RegexCost& c : costs) {
    if (!c.large) continue;
    warnings.push_back(
        {c.key,
         "costs about " + seconds_text(c.seconds_per_1000) +
             " per 1,000 texts of 1 KiB (RE2 program size " + grouped(c.program_size) + ", " +
             grouped(c.counted_instructions) + " of it from counted repetitions; warned above " +
             grouped(kCountedRepetitionLimit) + "): counted repetitions like " +
             largest_counted_repetition(c.pattern) +
             (c.seconds_per_1000 >= kExpensivePer1000
                  ? " copy their operand once per count and are expensive"
                  : " copy their operand once per count: a large program, though cheap on "
                    "this sample") +
             "; prefer .* or a small bound",
         0});
  }
  return warnings;
}

std::vector<ConfigError> regex_cost_warnings(const Policy& policy) {
  return regex_cost_warnings(measure_regex_costs(policy));
}

}  // namespace nw
