#include "nw/core/fingerprint.h"

#include <algorithm>
#include <array>
#include <cassert>
#include <cstring>
#include <memory>
#include <new>
#include <string>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace nw {

namespace {

enum class Kind : std::uint8_t {
  word,         // identifiers, labels, prefixed names, language tags: kept as written
  keyword,      // case-folded
  function,     // a function's name: case-folded (openCypher, SPARQL)
  placeholder,  // a literal, replaced
  string,       // a Gremlin string that names something: kept, re-quoted (see append)
  param,        // $name (openCypher), ?name and $name (SPARQL): kept
  iri,          // <...> (SPARQL): kept
  open,
  close,
  comma,
  colon,
  dot,
  op,       // any other punctuation, runs merged ("->", "<=", "=~")
  dropped,  // part of a bytecode value taken whole by the placeholder before it: not written
  start,    // what emit() has before the first token (never a token)
};
// The kinds, rounded up to a power of two: a row of a table by kind is found with a shift.
constexpr std::size_t kKinds = 16;
static_assert(static_cast<std::size_t>(Kind::start) < kKinds, "a table by kind holds every kind");

struct Token {
  // Built in place, field by field (see Stack). Trivial to default-construct, so that the
  // storage for a long text's tokens is not written before they are.
  Token() = default;
  Token(Kind k, std::uint32_t b, std::uint32_t s)
      : kind(k), triple(false), many(false), holds_call(false), begin(b), size(s) {}
  Kind kind;
  bool triple;          // a string between ''' or """
  bool many;            // a `?+` read again: a run of literals already
  bool holds_call;      // an open bracket with a `(` inside, at any depth (bytecode form)
  std::uint32_t begin;  // into the text
  std::uint32_t size;
};

// Per-thread storage for a stack of the normaliser's that never holds more entries than the
// text has bytes, and one: the tokens (each is at least a byte long, but for an empty string,
// whose quotes are two), the open brackets, the commas in them and the arguments of a call.
template <typename T>
struct Storage {
  std::unique_ptr<T[]> data;
  std::size_t capacity = 0;

  // What a megabyte of text made it grow to is given back, not kept for the thread's life.
  void trim(std::size_t keep) {
    if (capacity <= keep) return;
    data.reset();
    capacity = 0;
  }
};

// A stack in such storage, sized before tokenizing, so that an entry is stored in place with
// no check for room and no call. (An entry assembled elsewhere and copied in costs a stalled
// load: its fields are stored in pieces, then read back as one word.)
template <typename T>
class Stack {
 public:
  Stack(Storage<T>& storage, std::size_t text_size) {
    if (storage.capacity < text_size + 1) {
      storage.data.reset(new T[text_size + 1]);  // not initialised: written as entries come
      storage.capacity = text_size + 1;
    }
    data_ = end_ = storage.data.get();
#ifndef NDEBUG
    capacity_ = storage.capacity;
#endif
  }
  template <typename... Args>
  void emplace(Args... args) {
    assert(size() < capacity_);
    new (end_++) T{args...};
  }
  void pop_back() {
    --end_;
  }
  // Down to its first `size` entries.
  void shrink(std::size_t size) {
    end_ = data_ + size;
  }
  std::size_t size() const {
    return static_cast<std::size_t>(end_ - data_);
  }
  bool empty() const {
    return end_ == data_;
  }
  T& back() {
    return end_[-1];
  }
  const T& back() const {
    return end_[-1];
  }
  T& operator[](std::size_t k) {
    return data_[k];
  }
  const T& operator[](std::size_t k) const {
    return data_[k];
  }

 private:
  T* data_;
  T* end_;  // past the last entry: a push is a store and an increment
#ifndef NDEBUG
  std::size_t capacity_;
#endif
};

constexpr bool is_space(unsigned char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}
constexpr bool is_digit(unsigned char c) {
  return c >= '0' && c <= '9';
}
constexpr bool is_alpha(unsigned char c) {
  return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}
// Letters, digits and `_`; any byte of a multi-byte UTF-8 character (or of invalid UTF-8)
// counts as a letter, so that names in any script stay whole.
constexpr bool is_word_char(unsigned char c) {
  return is_alpha(c) || is_digit(c) || c == '_' || c >= 0x80;
}
constexpr bool is_word_start(unsigned char c) {
  return is_alpha(c) || c == '_' || c >= 0x80;
}
// The characters the tokenizer handles the same way in every language and position, looked
// up in one table before the rules that depend on them: most of a query's bytes.
enum class Simple : std::uint8_t { other, space, letter, digit, open, close, comma, dot, quote };
constexpr std::array<Simple, 256> kSimple = [] {
  std::array<Simple, 256> table{};
  for (int c = 0; c < 256; ++c) {
    const auto u = static_cast<unsigned char>(c);
    if (is_space(u))
      table[u] = Simple::space;
    else if (is_word_start(u))
      table[u] = Simple::letter;
    else if (is_digit(u))
      table[u] = Simple::digit;
  }
  table['('] = table['['] = table['{'] = Simple::open;
  table[')'] = table[']'] = table['}'] = Simple::close;
  table[','] = Simple::comma;
  table['.'] = Simple::dot;
  table['\''] = table['"'] = Simple::quote;
  return table;
}();

// The characters that continue a word, per language: letters, digits, `_` and any byte of
// a multi-byte character everywhere; `$` in Gremlin (Groovy names); quotes in Gremlin's
// bytecode form, which shows strings bare. (SPARQL's `:`, `-` and `.` depend on what follows.)
constexpr std::array<bool, 256> word_chars(bool dollar, bool quotes) {
  std::array<bool, 256> table{};
  for (int c = 0; c < 256; ++c)
    table[static_cast<std::size_t>(c)] = is_word_char(static_cast<unsigned char>(c));
  table['$'] = dollar;
  table['\''] = table['"'] = table['`'] = quotes;
  return table;
}
constexpr std::array<bool, 256> kWordChars = word_chars(false, false);
constexpr std::array<bool, 256> kGremlinWordChars = word_chars(true, false);
constexpr std::array<bool, 256> kBytecodeWordChars = word_chars(true, true);

// The index of the first `quote` or backslash in data[from, n), else n (or `from`, past n):
// where a string's scan stops. Strings are much of a query's bytes: with SSE2 (every x86-64),
// sixteen of them are compared at once.
inline __attribute__((always_inline)) std::size_t find_quote_or_backslash(const char* data,
                                                                          std::size_t from,
                                                                          std::size_t n,
                                                                          char quote) {
  std::size_t j = from;
#if defined(__SSE2__)
  const __m128i quotes = _mm_set1_epi8(quote);
  const __m128i backslashes = _mm_set1_epi8('\\');
  for (; j + 16 <= n; j += 16) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + j));
    const int found = _mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(bytes, quotes), _mm_cmpeq_epi8(bytes, backslashes)));
    if (found != 0)
      return j + static_cast<std::size_t>(__builtin_ctz(static_cast<unsigned>(found)));
  }
#endif
  while (j < n && data[j] != quote && data[j] != '\\') ++j;
  return j;
}

constexpr std::array<bool, 256> kOpChars = [] {
  std::array<bool, 256> table{};
  for (const char c : std::string_view("-+*/%=<>!&|^~?@;\\"))
    table[static_cast<unsigned char>(c)] = true;
  return table;
}();
bool is_op_char(unsigned char c) {
  return kOpChars[c];
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != b[i]) return false;
  return true;
}

// Lower case. Words of these lists are case-folded wherever they appear.
constexpr std::string_view kCypherKeywords[] = {
    "all",      "and",    "as",     "asc",     "ascending",  "by",       "call",     "case",
    "contains", "create", "delete", "desc",    "descending", "detach",   "distinct", "else",
    "end",      "ends",   "exists", "foreach", "in",         "is",       "limit",    "load",
    "match",    "merge",  "not",    "null",    "on",         "optional", "or",       "order",
    "remove",   "return", "set",    "skip",    "starts",     "then",     "union",    "unwind",
    "using",    "when",   "where",  "with",    "xor",        "yield",    "csv"};
constexpr std::string_view kSparqlKeywords[] = {
    "add",      "all",       "as",     "asc",      "ask",    "base",    "bind",    "by",
    "clear",    "construct", "copy",   "create",   "data",   "default", "delete",  "desc",
    "describe", "distinct",  "drop",   "exists",   "filter", "from",    "graph",   "group",
    "having",   "in",        "insert", "into",     "limit",  "load",    "minus",   "move",
    "named",    "not",       "offset", "optional", "order",  "prefix",  "reduced", "select",
    "service",  "silent",    "to",     "union",    "using",  "values",  "where",   "with",
    "undef",    "separator"};

// A set of words of up to 16 bytes, each with a tag, in a table built at compile time and
// looked up by a hash of the word's size and first and last letters (open addressing, at most
// half full): this runs for every word and every Gremlin call of every query, so a lookup
// looks at a slot or two and compares bytes only with a word of its size.
class WordTable {
 public:
  static constexpr std::size_t kMaxSize = 16;

  constexpr WordTable() : slots_{} {}

  // Adds `word` (1 to 16 bytes) with `tag` (not 0), or sets the tag of a word held already.
  constexpr void add(std::string_view word, std::uint8_t tag) {
    std::size_t k = slot(word.size(), word.front(), word.back());
    for (; slots_[k].size != 0; k = (k + 1) & (kSlots - 1))
      if (std::string_view(slots_[k].bytes, slots_[k].size) == word) {
        slots_[k].tag = tag;
        return;
      }
    if (word.empty() || word.size() > kMaxSize || 2 * ++count_ > kSlots)
      throw "a word of 1 to 16 bytes, in a table at most half full";  // at compile time
    for (std::size_t i = 0; i < word.size(); ++i) slots_[k].bytes[i] = word[i];
    slots_[k].size = static_cast<std::uint8_t>(word.size());
    slots_[k].tag = tag;
  }

  // The tag of `word`, or 0 when the set does not hold it; with `fold`, whatever its case
  // (the set's words are lower case). Most words looked up are not in the set, and their
  // slot is empty or holds a word of another size: no byte is compared.
  std::uint8_t find(std::string_view word, bool fold) const {
    if (word.empty() || word.size() > kMaxSize) return 0;
    const char first = fold ? lower(word.front()) : word.front();
    const char last = fold ? lower(word.back()) : word.back();
    for (std::size_t k = slot(word.size(), first, last);; k = (k + 1) & (kSlots - 1)) {
      const Slot& s = slots_[k];
      if (s.size == 0) return 0;
      if (s.size == word.size() && same(s.bytes, word, fold)) return s.tag;
    }
  }

 private:
  static constexpr std::size_t kSlots = 128;
  struct Slot {
    char bytes[kMaxSize];
    std::uint8_t size;  // 0: empty
    std::uint8_t tag;
  };
  static constexpr std::size_t slot(std::size_t size, char first, char last) {
    return (size * 31 + static_cast<unsigned char>(first) * 7 + static_cast<unsigned char>(last)) &
           (kSlots - 1);
  }
  static bool same(const char* bytes, std::string_view word, bool fold) {
    for (std::size_t i = 0; i < word.size(); ++i)
      if (bytes[i] != (fold ? lower(word[i]) : word[i])) return false;
    return true;
  }
  Slot slots_[kSlots];
  std::size_t count_ = 0;
};

// Gremlin steps and predicates whose every argument is a value.
constexpr std::string_view kGremlinValueCalls[] = {"E",
                                                   "V",
                                                   "between",
                                                   "constant",
                                                   "containing",
                                                   "endingWith",
                                                   "eq",
                                                   "gt",
                                                   "gte",
                                                   "hasId",
                                                   "hasValue",
                                                   "inject",
                                                   "inside",
                                                   "is",
                                                   "lt",
                                                   "lte",
                                                   "neq",
                                                   "notContaining",
                                                   "notEndingWith",
                                                   "notRegex",
                                                   "notStartingWith",
                                                   "outside",
                                                   "regex",
                                                   "startingWith",
                                                   "within",
                                                   "without"};

// Of those, the ones that take any number of values: a lone value there is a list of one
// (`V(?)` is `V(?+)`), so that one id and many share a shape.
constexpr std::string_view kGremlinListCalls[] = {"E",      "V",      "hasId",  "hasValue",
                                                  "inject", "within", "without"};

// What a Gremlin call's arguments are, by the name of the step or predicate.
enum GremlinCall : std::uint8_t {
  kNamesOnly = 0,     // names, kept (any call not in the table)
  kValues = 1,        // kGremlinValueCalls: values, each replaced
  kListOfValues = 2,  // kGremlinListCalls: values, and one alone is a list of one
  kHas = 3,           // has(..., value): the last of two or more is a value
  kProperty = 4,      // property([cardinality,] key, value, key, value, ...)
};

// An open bracket. Small and without a heap allocation of its own, so that text of nothing
// but `(` costs about what any other text of its length does: its first argument starts
// after the bracket, the others after its commas, which are the tail of the shared
// arg_starts from first_comma on.
struct Frame {
  std::uint32_t open;         // the token index of the bracket
  std::uint32_t first_comma;  // into arg_starts
  GremlinCall call;           // a Gremlin call's: looked up at its `(`, where its name is at hand
  char bracket;               // `(`, `[` or `{`
  bool holds_call;            // what the bracket's token is told when it closes
};
struct Range {  // [first, second) token indexes
  std::uint32_t first;
  std::uint32_t second;
};

// The normaliser's working memory, kept per thread from one query to the next: a query costs
// no allocation but that of its normalised text once these have grown to its size.
struct Scratch {
  Storage<Token> tokens;
  Storage<Frame> frames;
  Storage<std::uint32_t> arg_starts;  // after each comma of the open frames
  Storage<Range> args;                // the arguments of the frame being judged
  std::vector<std::uint32_t> closes;  // bytecode form: where each open bracket closes
  std::string text;                   // the text, padded (see Normaliser::padded)
  std::string out;

  // What a megabyte of text made them grow to is given back, not kept for the thread's life.
  void trim() {
    constexpr std::size_t kKeep = 1 << 16;
    tokens.trim(kKeep);
    frames.trim(kKeep);
    arg_starts.trim(kKeep);
    args.trim(kKeep);
    if (closes.capacity() > kKeep) std::vector<std::uint32_t>().swap(closes);
    if (text.capacity() > kKeep) std::string().swap(text);
    if (out.capacity() > kKeep) std::string().swap(out);
  }
};

constexpr bool wordish(Kind k) {
  return k == Kind::word || k == Kind::keyword || k == Kind::function || k == Kind::placeholder ||
         k == Kind::string || k == Kind::param || k == Kind::iri;
}

// One blank between two words and around keywords; none elsewhere (nor before the first
// token). A table: this is asked between every two tokens.
constexpr std::array<std::array<bool, kKinds>, kKinds> kBlankBetween = [] {
  std::array<std::array<bool, kKinds>, kKinds> table{};
  for (std::size_t a = 0; a < static_cast<std::size_t>(Kind::start); ++a) {
    for (std::size_t b = 0; b < static_cast<std::size_t>(Kind::start); ++b) {
      const auto prev = static_cast<Kind>(a);
      const auto next = static_cast<Kind>(b);
      table[a][b] = (wordish(prev) && wordish(next)) ||
                    (prev == Kind::keyword && next != Kind::comma && next != Kind::close &&
                     next != Kind::dot) ||
                    (next == Kind::keyword && prev != Kind::open && prev != Kind::dot);
    }
  }
  return table;
}();

template <std::size_t N>
constexpr WordTable keyword_table(const std::string_view (&words)[N]) {
  WordTable table;
  for (std::string_view w : words) table.add(w, 1);
  return table;
}
constexpr WordTable kCypherKeywordTable = keyword_table(kCypherKeywords);
constexpr WordTable kSparqlKeywordTable = keyword_table(kSparqlKeywords);

constexpr WordTable kGremlinCallTable = [] {
  WordTable table;
  for (std::string_view w : kGremlinValueCalls) table.add(w, kValues);
  for (std::string_view w : kGremlinListCalls) table.add(w, kListOfValues);
  table.add("has", kHas);
  table.add("property", kProperty);
  return table;
}();

GremlinCall gremlin_call(std::string_view callee) {
  return static_cast<GremlinCall>(kGremlinCallTable.find(callee, false));
}

// Whether `word` is a keyword of `table`, whatever its case.
bool is_keyword(const WordTable& table, std::string_view word) {
  return table.find(word, true) != 0;
}

// One per language (and Gremlin's bytecode form), so that the rules that depend on it are
// settled when compiling, not asked again at every character and token.
template <Language kLanguage, bool kBytecode>
class Normaliser {
 public:
  Normaliser(std::string_view text, Scratch& scratch)
      : text_(padded(text, scratch.text)),
        tokens_(scratch.tokens, text.size()),
        frames_(scratch.frames, text.size()),
        arg_starts_(scratch.arg_starts, text.size()),
        args_(scratch.args, text.size()),
        closes_(scratch.closes),
        out_(scratch.out) {
    // Only grown: an entry is read only for a bracket closed before (see take_value_whole),
    // so what an earlier query left in it is never seen.
    if (bytecode_ && closes_.size() < text.size() + 1) closes_.resize(text.size() + 1);
  }

  Fingerprint run() {
    tokenize();
    Fingerprint out;
    out.text = emit();
    out.hash = murmur_hash64a(out.text, kFingerprintSeed);
    return out;
  }

 private:
  // The byte at `i`, or 0 past the text's end. The text is followed by kPadding zero bytes,
  // and nothing looks further than a few bytes past its end: no check of `i` is needed.
  unsigned char at(std::size_t i) const { return static_cast<unsigned char>(text_.data()[i]); }

  // `text`, copied into `buffer` with kPadding zero bytes after it: so that a byte past its
  // end reads as 0 without a check, and a short token is copied out sixteen bytes at once.
  static constexpr std::size_t kPadding = 16;
  static std::string_view padded(std::string_view text, std::string& buffer) {
    if (buffer.size() < text.size() + kPadding) buffer.resize(text.size() + kPadding);
    if (!text.empty()) std::memcpy(buffer.data(), text.data(), text.size());
    std::memset(buffer.data() + text.size(), 0, kPadding);
    return std::string_view(buffer.data(), text.size());
  }
  std::string_view slice(const Token& t) const { return text_.substr(t.begin, t.size); }
  void push(Kind kind, std::size_t begin, std::size_t end) {
    tokens_.emplace(kind, static_cast<std::uint32_t>(begin),
                    static_cast<std::uint32_t>(end - begin));
  }
  static constexpr bool sparql() { return language_ == Language::sparql; }
  // `//` and `/* */` are comments (openCypher, Gremlin's Groovy form).
  static constexpr bool comments_with_slash() { return !sparql() && !bytecode_; }
  static constexpr bool gremlin() { return language_ == Language::gremlin; }

  void tokenize() {
    std::size_t i = 0;
    const std::size_t n = text_.size();
    while (i < n) {
      const unsigned char c = at(i);
      switch (kSimple[c]) {
        case Simple::space:
          ++i;
          continue;
        case Simple::letter:
          i = gremlin() ? gremlin_word(i) : word(i);
          continue;
        case Simple::digit:  // a number in every language and position
          i = number(i);
          continue;
        case Simple::open:
          open(i);
          ++i;
          continue;
        case Simple::close:
          close(i);
          ++i;
          continue;
        case Simple::comma:
          comma(i);
          ++i;
          continue;
        case Simple::dot:  // `.5` is a number (below)
          if (!is_digit(at(i + 1))) {
            push(Kind::dot, i, i + 1);
            ++i;
            continue;
          }
          break;
        case Simple::quote:  // bytecode shows strings bare (below)
          if (!bytecode_) {
            i = string_literal(i);
            continue;
          }
          break;
        case Simple::other:
          break;
      }
      if (is_space(c)) {
        ++i;
      } else if (bytecode_ && (c == '\'' || c == '"' || c == '`')) {
        i = word(i);  // bytecode shows strings bare: a quote is part of the value
      } else if (comments_with_slash() && c == '/' && at(i + 1) == '/') {
        i = skip_line(i);
      } else if (comments_with_slash() && c == '/' && at(i + 1) == '*') {
        const std::size_t end = text_.find("*/", i + 2);
        i = end == std::string_view::npos ? n : end + 2;
      } else if (sparql() && c == '#') {
        i = skip_line(i);
      } else if (c == '\'' || c == '"') {
        i = string_literal(i);
      } else if (c == '`' && !sparql()) {
        i = backticked(i);
      } else if (is_digit(c) || (c == '.' && is_digit(at(i + 1)) && !after_value() &&
                                 !(tokens_.size() > 0 && tokens_.back().kind == Kind::dot))) {
        i = number(i);
      } else if (is_word_start(c) || (sparql() && c == ':')) {
        i = word(i);
      } else if (c == '$' && is_word_char(at(i + 1))) {
        std::size_t j = i + 1;
        while (j < n && is_word_char(at(j))) ++j;
        push(Kind::param, i, j);
        i = j;
      } else if (sparql() && c == '?' && is_word_char(at(i + 1))) {
        std::size_t j = i + 1;
        while (j < n && is_word_char(at(j))) ++j;
        push(Kind::param, i, j);
        i = j;
      } else if (sparql() && c == '<' && iri_end(i) != 0) {
        const std::size_t end = iri_end(i);
        push(Kind::iri, i, end);
        i = end;
      } else if (!sparql() && c == '?') {
        // Not a character of openCypher or of Gremlin's queries: the `?` or `?+` of a
        // normalised text read again, which stands for what it stood for.
        const bool many = at(i + 1) == '+';
        push(Kind::placeholder, i, i + (many ? 2 : 1));
        tokens_.back().many = many;
        i += many ? 2 : 1;
      } else if (sparql() && c == '@' && is_alpha(at(i + 1))) {
        std::size_t j = i + 1;
        while (j < n && (is_word_char(at(j)) || at(j) == '-')) ++j;
        push(Kind::op, i, j);  // a language tag, written against its string
        i = j;
      } else if (c == '(' || c == '[' || c == '{') {
        open(i);
        ++i;
      } else if (c == ')' || c == ']' || c == '}') {
        close(i);
        ++i;
      } else if (c == ',') {
        comma(i);
        ++i;
      } else if (c == ':') {
        push(Kind::colon, i, i + 1);
        ++i;
      } else if (c == '.') {
        push(Kind::dot, i, i + 1);
        ++i;
      } else {
        i = op(i);
      }
    }
    // Unclosed calls (text cut by Neptune) are judged with what they hold.
    while (!frames_.empty()) close(n);
  }

  void comma(std::size_t i) {
    push(Kind::comma, i, i + 1);
    if (!frames_.empty()) arg_starts_.emplace(static_cast<std::uint32_t>(tokens_.size()));
  }

  std::size_t skip_line(std::size_t i) const {
    const std::size_t end = text_.find('\n', i);
    return end == std::string_view::npos ? text_.size() : end + 1;
  }

  // A quoted string, with backslash escapes; ''' and """ (Gremlin's Groovy, SPARQL) run to
  // the same three quotes. Unterminated: to the end of the text.
  std::size_t string_literal(std::size_t i) {
    const unsigned char quote = at(i);
    const bool triple =
        !(language_ == Language::opencypher) && at(i + 1) == quote && at(i + 2) == quote;
    const std::size_t content = i + (triple ? 3 : 1);
    std::size_t j = content;
    std::size_t end = text_.size();
    std::size_t after = text_.size();
    const char* const data = text_.data();
    const std::size_t n = text_.size();
    while ((j = find_quote_or_backslash(data, j, n, static_cast<char>(quote))) < n) {
      if (data[j] == '\\') {
        j += 2;
      } else if (!triple || (at(j + 1) == quote && at(j + 2) == quote)) {
        end = j;
        after = j + (triple ? 3 : 1);
        break;
      } else {
        ++j;
      }
    }
    end = std::min(end, text_.size());
    const bool key = gremlin() && !(tokens_.size() > 0 && tokens_.back().kind == Kind::colon);
    push(key ? Kind::string : Kind::placeholder, content, end);
    tokens_.back().triple = triple;
    return std::min(after, text_.size());
  }

  std::size_t backticked(std::size_t i) {
    std::size_t j = i + 1;
    while (j < text_.size()) {
      if (at(j) == '`') {
        if (at(j + 1) == '`') {
          j += 2;
          continue;
        }
        ++j;
        push(Kind::word, i, j);
        return j;
      }
      ++j;
    }
    push(Kind::word, i, text_.size());
    return text_.size();
  }

  // Whether the token before is something a minus sign would subtract from.
  bool after_value() const { return !tokens_.empty() && is_value(tokens_.back().kind); }
  static bool is_value(Kind kind) {
    switch (kind) {
      case Kind::word:
      case Kind::keyword:
      case Kind::function:
      case Kind::placeholder:
      case Kind::string:
      case Kind::param:
      case Kind::iri:
      case Kind::close:
        return true;
      default:
        return false;
    }
  }

  std::size_t number(std::size_t i) {
    std::size_t j = i;
    while (is_digit(at(j))) ++j;
    if (at(j) == '.' && is_digit(at(j + 1))) {
      ++j;
      while (is_digit(at(j))) ++j;
    }
    if ((at(j) | 0x20) == 'e' &&
        (is_digit(at(j + 1)) || ((at(j + 1) == '-' || at(j + 1) == '+') && is_digit(at(j + 2))))) {
      j += 2;
      while (is_digit(at(j))) ++j;
    }
    while (kWordChars[at(j)]) ++j;  // 0x1F, 10L, 1.5d
    // A sign that is not a subtraction belongs to the literal: `-5` is the value minus five.
    if (!tokens_.empty() && tokens_.back().kind == Kind::op && tokens_.back().size == 1 &&
        text_[tokens_.back().begin] == '-') {
      // (Decided by the token before it, without copying the sign's token, just stored.)
      if (!(tokens_.size() >= 2 && is_value(tokens_[tokens_.size() - 2].kind))) tokens_.pop_back();
    }
    push(Kind::placeholder, i, j);
    return j;
  }

  // A Gremlin word: a step's name, a label, a bare value in bytecode form, or a boolean (as
  // word() would have it, in fewer steps: Gremlin text is mostly short words).
  std::size_t gremlin_word(std::size_t i) {
    const std::array<bool, 256>& continues = bytecode_ ? kBytecodeWordChars : kGremlinWordChars;
    std::size_t j = i + 1;
    while (continues[at(j)]) ++j;  // the padding's 0 ends it
    const std::size_t size = j - i;
    const bool boolean = (size == 4 || size == 5) && (iequals(text_.substr(i, size), "true") ||
                                                      iequals(text_.substr(i, size), "false"));
    push(boolean ? Kind::placeholder : Kind::word, i, j);
    return j;
  }

  std::size_t word(std::size_t i) {
    std::size_t j = i + 1;
    const std::array<bool, 256>& continues =
        bytecode_ ? kBytecodeWordChars : (gremlin() ? kGremlinWordChars : kWordChars);
    while (j < text_.size()) {
      const unsigned char c = at(j);
      if (continues[c]) {
        ++j;
      } else if (sparql() && (c == ':' || c == '-')) {
        ++j;
      } else if (sparql() && c == '.' && is_word_char(at(j + 1))) {
        ++j;
      } else {
        break;
      }
    }
    const std::string_view w = text_.substr(i, j - i);
    if (language_ == Language::opencypher && cypher_name_position(j)) {
      // `n.order`, `(o:Order)`, `[:IN]`, `{limit: 5}`: names that happen to be keywords.
      push(followed_by_paren(j) ? Kind::function : Kind::word, i, j);
    } else if (iequals(w, "true") || iequals(w, "false")) {
      push(Kind::placeholder, i, j);
    } else if ((language_ == Language::opencypher && is_keyword(kCypherKeywordTable, w)) ||
               (sparql() && is_keyword(kSparqlKeywordTable, w))) {
      push(Kind::keyword, i, j);
    } else if (!gremlin() && followed_by_paren(j) && w.find(':') == std::string_view::npos) {
      push(Kind::function, i, j);  // function names ignore case too
    } else {
      push(Kind::word, i, j);
    }
    return j;
  }

  // Whether an openCypher word ending at `end` stands where only a name can: a property key
  // after `.`, a label or relationship type after a `:` outside a map, a map's key.
  bool cypher_name_position(std::size_t end) const {
    const bool in_map = !frames_.empty() && frames_.back().bracket == '{';
    if (!tokens_.empty()) {
      const Kind before = tokens_.back().kind;
      if (before == Kind::dot || (before == Kind::colon && !in_map)) return true;
    }
    return in_map && at(end) == ':' && at(end + 1) != ':';
  }

  bool followed_by_paren(std::size_t j) const {
    while (j < text_.size() && is_space(at(j))) ++j;
    return at(j) == '(';
  }

  // The end of an IRI `<...>` starting at `i`, or 0 when `<` is an operator here.
  std::size_t iri_end(std::size_t i) const {
    for (std::size_t j = i + 1; j < text_.size(); ++j) {
      const unsigned char c = at(j);
      if (c == '>') return j + 1;
      if (is_space(c) || std::strchr("<\"{}|^`", c)) return 0;
    }
    return 0;
  }

  std::size_t op(std::size_t i) {
    std::size_t j = i + 1;
    // A run of operator characters is one token; a `-` that starts a number ends the run.
    // A comment ends it too (`=/* why */`).
    while (is_op_char(at(j)) && !(at(j) == '-' && is_digit(at(j + 1))) &&
           !(comments_with_slash() && at(j) == '/' && (at(j + 1) == '/' || at(j + 1) == '*')) &&
           !(sparql() && at(j) == '?' && is_word_char(at(j + 1))) && !(!sparql() && at(j) == '?') &&
           !(sparql() && at(j) == '<' && iri_end(j) != 0))
      ++j;
    push(Kind::op, i, j);
    return j;
  }

  void open(std::size_t i) {
    frames_.emplace(static_cast<std::uint32_t>(tokens_.size()),
                    static_cast<std::uint32_t>(arg_starts_.size()),
                    gremlin() ? call_opened_at(i) : kNamesOnly, text_[i], false);
    push(Kind::open, i, i + 1);
  }

  // What the arguments of a Gremlin call opened at `i` are: its `(` right after a word (which
  // stays what it is while the bracket is open).
  GremlinCall call_opened_at(std::size_t i) const {
    if (text_[i] != '(' || tokens_.empty()) return kNamesOnly;
    const Token& before = tokens_.back();
    if (before.kind != Kind::word && before.kind != Kind::keyword && before.kind != Kind::function)
      return kNamesOnly;
    return gremlin_call(slice(before));
  }

  void close(std::size_t i) {
    if (i < text_.size()) push(Kind::close, i, i + 1);
    if (frames_.empty()) return;
    // Read where it is, field by field as it was stored (see Stack), and taken off the stack
    // last: nothing below pushes a frame.
    const Frame& frame = frames_.back();
    if (bytecode_) {
      closes_[frame.open] =
          static_cast<std::uint32_t>(i < text_.size() ? tokens_.size() - 1 : tokens_.size());
      tokens_[frame.open].holds_call = frame.holds_call;
    }
    if (frames_.size() > 1 && (frame.bracket == '(' || frame.holds_call))
      frames_[frames_.size() - 2].holds_call = true;
    if (gremlin() && (frame.call != kNamesOnly || (bytecode_ && frame.bracket == '{')))
      judge(frame, i < text_.size() ? tokens_.size() - 1 : tokens_.size());
    arg_starts_.shrink(frame.first_comma);
    frames_.pop_back();
  }

  // The arguments of a Gremlin call whose arguments can be values, or of a map in bytecode
  // form, that closes before token `end`. Apart from close(), which runs for every bracket.
  __attribute__((noinline)) void judge(const Frame& frame, std::size_t end) {
    if (frame.call != kNamesOnly)
      judge_gremlin_call(frame, end);
    else
      judge_bytecode_map(frame, end);
  }

  // The frame's non-empty arguments, in args_ (reused: no allocation per call).
  void collect_args(const Frame& frame, std::size_t end) {
    args_.shrink(0);
    std::size_t begin = frame.open + 1;
    for (std::size_t a = frame.first_comma; a <= arg_starts_.size(); ++a) {
      const std::size_t stop = a < arg_starts_.size() ? arg_starts_[a] - 1 : end;
      if (stop > begin)
        args_.emplace(static_cast<std::uint32_t>(begin), static_cast<std::uint32_t>(stop));
      if (a < arg_starts_.size()) begin = arg_starts_[a];
    }
  }

  // Which arguments of a Gremlin call are values (replaced) and which name things (kept).
  void judge_gremlin_call(const Frame& frame, std::size_t end) {
    const GremlinCall call = frame.call;
    collect_args(frame, end);
    const auto replace = [&](std::size_t a) {
      if (a >= args_.size()) return;
      if (bytecode_) return take_value_whole(args_[a]);
      if (args_[a].second - args_[a].first != 1) return;
      Token& t = tokens_[args_[a].first];
      if (t.kind == Kind::string) t.kind = Kind::placeholder;
    };
    if (call == kValues || call == kListOfValues) {
      for (std::size_t a = 0; a < args_.size(); ++a) replace(a);
    } else if (call == kHas) {
      if (args_.size() >= 2) replace(args_.size() - 1);
    } else if (call == kProperty) {
      std::size_t first = 0;
      if (!args_.empty()) {
        const std::string_view last_word = slice(tokens_[args_[0].second - 1]);
        if (last_word == "single" || last_word == "list" || last_word == "set") first = 1;
      }
      for (std::size_t a = first + 1; a < args_.size(); a += 2) replace(a);
    }
  }

  // A map as bytecode shows it, `{name=marko, ~label=person}`: each entry's value (after its
  // first `=`) is a value, its key names something.
  void judge_bytecode_map(const Frame& frame, std::size_t end) {
    collect_args(frame, end);
    for (std::size_t a = 0; a < args_.size(); ++a) {
      const Range& entry = args_[a];
      for (std::size_t k = entry.first; k < entry.second; ++k) {
        const Token& t = tokens_[k];
        if (t.kind == Kind::open) break;
        if (t.kind == Kind::op && text_[t.begin] == '=') {
          if (k + 1 < entry.second)
            take_value_whole(Range{static_cast<std::uint32_t>(k + 1), entry.second});
          break;
        }
      }
    }
  }

  // A value in bytecode text: shown bare, so that `marko polo`, `O'Brien`,
  // `http://x.org/a` or `2024-01-01T00:00:00Z` are several tokens. Each element (of the value,
  // or of a list that is the value) becomes one placeholder. A value that holds a call (a
  // predicate, `gt(29)`) was judged by that call; a map in it by judge_bytecode_map.
  //
  // Linear however deep the brackets: what a closed bracket holds is stepped over (its
  // closes_), known to hold a call or not (`holds_call`), and every token is walked by the one
  // innermost call or map whose value it is part of.
  void take_value_whole(Range value) {
    for (std::size_t k = value.first; k < value.second; ++k) {
      const Token& t = tokens_[k];
      if (t.kind != Kind::open) continue;
      if (text_[t.begin] == '(' || t.holds_call) return;
      k = closes_[k];
    }
    bool taken = false;  // the element's placeholder is written
    for (std::size_t k = value.first; k < value.second; ++k) {
      Token& t = tokens_[k];
      if (t.kind == Kind::open) {
        taken = false;
        if (text_[t.begin] == '{') k = closes_[k];  // a map: judged at its close
      } else if (t.kind == Kind::close || t.kind == Kind::comma) {
        taken = false;
      } else if (!taken) {
        t.kind = Kind::placeholder;
        taken = true;
      } else {
        t.kind = Kind::dropped;
      }
    }
  }

  // The normalised text is written into the scratch buffer (its size kept from query to
  // query, grown ahead of each token), then copied once into a string of its length.
  class Writer {
   public:
    // Room for a text's normalised form in one go: it is at most twice the text and a few
    // bytes (what the fuzz target checks), so growing is for safety only.
    Writer(std::string& buffer, std::size_t text_size) : buffer_(buffer) {
      if (buffer_.size() < 2 * text_size + 64) buffer_.resize(2 * text_size + 64);
      begin_ = at_ = buffer_.data();
      end_ = begin_ + buffer_.size();
    }
    void room(std::size_t more) {
      if (static_cast<std::size_t>(end_ - at_) >= more) return;
      const std::size_t size = static_cast<std::size_t>(at_ - begin_);
      buffer_.resize(std::max(2 * buffer_.size(), size + more));
      begin_ = buffer_.data();
      at_ = begin_ + size;
      end_ = begin_ + buffer_.size();
    }
    // Through raw pointers held here: a char written through the string itself could, for
    // the compiler, change any object, and every token would reload them all.
    void put(char c) { *at_++ = c; }
    // `c` if `really`, with no branch to mispredict: the blank between two tokens.
    void put_if(char c, bool really) {
      *at_ = c;
      at_ += really;
    }
    void put(const char* p, std::size_t n) {
      std::memcpy(at_, p, n);
      at_ += n;
    }
    // The same for a short token, when 16 bytes from `p` can be read and written: one copy of
    // a fixed size (two moves) instead of a call to memcpy.
    void put_short(const char* p, std::size_t n) {
      std::memcpy(at_, p, 16);
      at_ += n;
    }
    bool ends_with(std::string_view tail) const {
      return static_cast<std::size_t>(at_ - begin_) >= tail.size() &&
             std::memcmp(at_ - tail.size(), tail.data(), tail.size()) == 0;
    }
    void drop(std::size_t n) { at_ -= n; }
    char last() const { return at_ > begin_ ? at_[-1] : '\0'; }
    std::string text() const { return std::string(begin_, at_); }

   private:
    std::string& buffer_;
    char* begin_;
    char* at_;
    char* end_;
  };

  // The kinds of token written as they are, with no rule of their own (an operator has one
  // for the blank before it).
  static bool copied_as_written(Kind kind) {
    constexpr unsigned kAsWritten =
        1u << static_cast<unsigned>(Kind::word) | 1u << static_cast<unsigned>(Kind::param) |
        1u << static_cast<unsigned>(Kind::iri) | 1u << static_cast<unsigned>(Kind::open) |
        1u << static_cast<unsigned>(Kind::close) | 1u << static_cast<unsigned>(Kind::comma) |
        1u << static_cast<unsigned>(Kind::colon) | 1u << static_cast<unsigned>(Kind::dot);
    return (kAsWritten >> static_cast<unsigned>(kind)) & 1u;
  }

  // Room for a token is made by the caller: its size and 24 (a blank, six quotes, and what
  // put_short writes past the token). Sixteen bytes from any token's start can be read: the
  // text is padded.
  static void put_token(Writer& out, const char* p, std::size_t size) {
    if (size <= 16)
      out.put_short(p, size);
    else
      out.put(p, size);
  }

  static void append(Writer& out, const Token& t, const char* text) {
    const char* p = text + t.begin;
    switch (t.kind) {
      case Kind::keyword:
      case Kind::function:
        for (std::uint32_t k = 0; k < t.size; ++k) out.put(lower(p[k]));
        return;
      case Kind::placeholder:
        out.put('?');
        return;
      case Kind::string: {
        // Re-quoted with `'` (so `"name"` and `'name'` are one shape), unless that would read
        // back as another string: then with `"`, or else as written.
        char quote = '\'';
        std::size_t quotes = 1;
        if (t.triple || p[-1] != '\'') {  // between `'` it holds no `'` but an escaped one
          bool single = false;
          bool double_ = false;
          for (std::uint32_t k = 0; k < t.size; ++k) {  // names are short: no call to memchr
            single |= p[k] == '\'';
            double_ |= p[k] == '"';
          }
          if (single) {
            if (!double_) {
              quote = '"';
            } else {
              quote = p[-1];
              if (t.triple) quotes = 3;
            }
          }
        }
        for (std::size_t k = 0; k < quotes; ++k) out.put(quote);
        put_token(out, p, t.size);
        for (std::size_t k = 0; k < quotes; ++k) out.put(quote);
        return;
      }
      default:
        put_token(out, p, t.size);
    }
  }

  std::string emit() const {
    Writer out(out_, text_.size());
    // In locals: a char written could, for the compiler, change any member, so that each
    // would be read again after every one.
    const Token* const tokens = &tokens_[0];
    const std::size_t n = tokens_.size();
    const char* const text = text_.data();
    const std::size_t text_size = text_.size();
    // The token after `j` that is written: dropped ones (bytecode form) are passed over here
    // rather than taken out of the list, which would move all the tokens after them.
    const auto next = [&](std::size_t j) {
      ++j;
      if (bytecode_)
        while (j < n && tokens[j].kind == Kind::dropped) ++j;
      return j;
    };
    Kind prev = Kind::start;
    for (std::size_t i = 0; i < n; ++i) {
      // Most tokens are written as they are, after a blank or not: in a loop of their own,
      // in few steps.
      for (; i < n && copied_as_written(tokens[i].kind); ++i) {
        const Kind kind = tokens[i].kind;
        const std::uint32_t size = tokens[i].size;
        out.room(size + 24);
        out.put_if(' ',
                   kBlankBetween[static_cast<std::size_t>(prev)][static_cast<std::size_t>(kind)]);
        put_token(out, text + tokens[i].begin, size);
        prev = kind;
      }
      if (i == n) break;
      const Token& t = tokens[i];
      // Its fields in locals: a char written could, for the compiler, change the token.
      const Kind kind = t.kind;
      const std::uint32_t begin = t.begin;
      const std::uint32_t size = t.size;
      out.room(size + 24);
      // So are most Gremlin strings that name things: between `'`, and closed (see append).
      if (kind == Kind::string && !t.triple && text[begin - 1] == '\'' &&
          begin + size < text_size) {
        out.put_if(' ',
                   kBlankBetween[static_cast<std::size_t>(prev)][static_cast<std::size_t>(kind)]);
        put_token(out, text + begin - 1, size + 2);
        prev = kind;
        continue;
      }
      if (bytecode_ && kind == Kind::dropped) continue;
      bool blank = kBlankBetween[static_cast<std::size_t>(prev)][static_cast<std::size_t>(t.kind)];
      // A `+` after a literal is set apart, or `? +x` (`1 + x`) would read as `?+` (many);
      // so is a `/` or `*` after a `/` (`a / /b/`), or it would read as a comment.
      if (t.kind == Kind::op && !blank) {
        const char c = text[t.begin];
        blank = (prev == Kind::placeholder && c == '+') ||
                (comments_with_slash() && out.last() == '/' && (c == '/' || c == '*'));
      }
      out.put_if(' ', blank);
      if (kind == Kind::op) {
        put_token(out, text + begin, size);
        prev = kind;
        continue;
      }
      if (t.kind != Kind::placeholder) {
        append(out, t, text);
        prev = t.kind;
        continue;
      }
      // A run of literals: `?`, `?,?`, `? ?` ... become one `?+` (from two on, or one alone
      // in a list's brackets).
      std::size_t j = i;
      std::size_t count = t.many ? 2 : 1;
      while (true) {
        const std::size_t after = next(j);
        if (after < n && tokens[after].kind == Kind::placeholder) {
          j = after;
        } else if (after < n && tokens[after].kind == Kind::comma && next(after) < n &&
                   tokens[next(after)].kind == Kind::placeholder) {
          j = next(after);
        } else {
          break;
        }
        count += tokens[j].many ? 2 : 1;
      }
      // (A dropped token never comes right before a literal: it follows one.)
      const bool lone_in_list = count == 1 && i > 0 && tokens[i - 1].kind == Kind::open &&
                                list_bracket(i - 1) && next(j) < n &&
                                tokens[next(j)].kind == Kind::close;
      out.put('?');
      if (count >= 2 || lone_in_list) out.put('+');
      prev = Kind::placeholder;
      i = j;
      // SPARQL's VALUES rows of literals, `(1 2) (3 4)`: any number of them is one row.
      if (sparql() && j + 1 < n && tokens[j + 1].kind == Kind::close && out.ends_with("(?+)(?+")) {
        out.drop(3);
        i = j + 1;  // its `)` is written already
        prev = Kind::close;
      }
    }
    return out.text();
  }

  // Whether the bracket at token `k` holds a list, where one literal alone is a list of one:
  // `[...]`; in SPARQL also VALUES' `{...}`, a row `(...)`, `IN (...)` and a collection (any
  // `(` but a function's); in Gremlin the arguments of the steps that take any number of
  // values (kGremlinListCalls).
  bool list_bracket(std::size_t k) const {
    const char bracket = text_[tokens_[k].begin];
    if (bracket == '[') return true;
    if (sparql()) {
      if (bracket == '{') return true;
      if (k == 0) return true;
      const Token& before = tokens_[k - 1];
      return before.kind != Kind::function &&
             (before.kind != Kind::keyword || iequals(slice(before), "in"));
    }
    return gremlin() && bracket == '(' && k > 0 && tokens_[k - 1].kind == Kind::word &&
           gremlin_call(slice(tokens_[k - 1])) == kListOfValues;
  }

  static constexpr Language language_ = kLanguage;
  const std::string_view text_;
  static constexpr bool bytecode_ = kBytecode;
  Stack<Token> tokens_;
  Stack<Frame> frames_;
  Stack<std::uint32_t> arg_starts_;
  Stack<Range> args_;
  std::vector<std::uint32_t>& closes_;  // by the token index of an open bracket
  std::string& out_;
};

bool is_bytecode(std::string_view text) {
  std::size_t first = 0;
  while (first < text.size() && is_space(static_cast<unsigned char>(text[first]))) ++first;
  return text.substr(first, 2) == "[[";
}

}  // namespace

Fingerprint fingerprint_query(Language language, std::string_view text) {
  // Token offsets are 32-bit; Neptune never shows more than 1,024 characters anyway.
  constexpr std::size_t kMaxText = std::size_t{1} << 30;
  if (text.size() > kMaxText) text = text.substr(0, kMaxText);
  thread_local Scratch scratch;
  Fingerprint fingerprint;
  switch (language) {
    case Language::gremlin:
      // Gremlin's bytecode form, as Neptune shows it, starts with `[[`.
      if (is_bytecode(text))
        fingerprint = Normaliser<Language::gremlin, true>(text, scratch).run();
      else
        fingerprint = Normaliser<Language::gremlin, false>(text, scratch).run();
      break;
    case Language::sparql:
      fingerprint = Normaliser<Language::sparql, false>(text, scratch).run();
      break;
    case Language::opencypher:
    default:
      fingerprint = Normaliser<Language::opencypher, false>(text, scratch).run();
      break;
  }
  scratch.trim();
  return fingerprint;
}

std::string fingerprint_hex(std::uint64_t hash) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, hash >>= 4) out[static_cast<std::size_t>(i)] = kDigits[hash & 0xf];
  return out;
}

std::uint64_t murmur_hash64a(std::string_view bytes, std::uint64_t seed) {
  constexpr std::uint64_t m = 0xc6a4a7935bd1e995ULL;
  constexpr int r = 47;
  const auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t len = bytes.size();
  std::uint64_t h = seed ^ (static_cast<std::uint64_t>(len) * m);
  const std::size_t blocks = len / 8;
  for (std::size_t b = 0; b < blocks; ++b) {
    // Little-endian whatever the machine, so that a fingerprint is the same everywhere.
    std::uint64_t k = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    std::memcpy(&k, data + b * 8, 8);
#else
    for (int byte = 7; byte >= 0; --byte)
      k = (k << 8) | data[b * 8 + static_cast<std::size_t>(byte)];
#endif
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  const unsigned char* tail = data + blocks * 8;
  switch (len & 7) {
    case 7:
      h ^= std::uint64_t{tail[6]} << 48;
      [[fallthrough]];
    case 6:
      h ^= std::uint64_t{tail[5]} << 40;
      [[fallthrough]];
    case 5:
      h ^= std::uint64_t{tail[4]} << 32;
      [[fallthrough]];
    case 4:
      h ^= std::uint64_t{tail[3]} << 24;
      [[fallthrough]];
    case 3:
      h ^= std::uint64_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      h ^= std::uint64_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      h ^= std::uint64_t{tail[0]};
      h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

}  // namespace nw
