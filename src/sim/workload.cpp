#include "nw/sim/workload.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

namespace nw::sim {
namespace {

constexpr std::uint64_t kWorkloadStream = 1;
constexpr std::uint64_t kInjectedIdStream = 2;
// Gremlin uses streams 17 and 18, SPARQL 33 and 34 (openCypher keeps 1 and 2).
constexpr std::uint64_t kLanguageStreamStride = 16;

std::uint64_t stream_for(Language language, std::uint64_t base) {
  return base + kLanguageStreamStride * language_index(language);
}
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::max();

}  // namespace

namespace {

const std::vector<std::string>& opencypher_texts() {
  static const std::vector<std::string> texts = {
      "MATCH (p:Person)-[:KNOWS*1..4]->(f) RETURN count(f)",
      "MATCH (a:Airport {code:'SEA'})-[:ROUTE*2]->(b) RETURN b.code",
      "MATCH (a:Airport)-[r:ROUTE]->(b:Airport) WHERE r.dist > 5000 RETURN a.code, b.code, r.dist "
      "ORDER BY r.dist DESC LIMIT 20",
      "MATCH (p:Person {name: $name})-[:WORKS_AT]->(c:Company)<-[:WORKS_AT]-(colleague) RETURN "
      "colleague.name",
      "MATCH (n) RETURN labels(n) AS label, count(*) AS n ORDER BY n DESC",
      "MATCH "
      "(u:User)-[:PURCHASED]->(p:Product)<-[:PURCHASED]-(other:User)-[:PURCHASED]->(rec:Product) "
      "WHERE u.id = $userId AND NOT (u)-[:PURCHASED]->(rec) RETURN rec.sku, count(*) AS score "
      "ORDER BY score DESC LIMIT 10",
      "MATCH p = shortestPath((a:Person {name:'Alice'})-[:KNOWS*..15]-(b:Person {name:'Bob'})) "
      "RETURN length(p)",
      "/* watchdog:exempt */ MATCH (a:Account)-[:TRANSFER*1..6]->(b:Account) WHERE a.flagged "
      "RETURN a.id, b.id",
      "/* watchdog:exempt */ MATCH (n:AuditEvent) WHERE n.ts > $since RETURN n ORDER BY n.ts",
      "CREATE (n:Event {ts: timestamp(), kind: 'click'})",
      "MERGE (c:Customer {id: $id}) SET c.lastSeen = timestamp() RETURN c",
      "MATCH (o:Order) WHERE o.status = 'stale' DETACH DELETE o",
  };
  return texts;
}

const std::vector<std::string>& gremlin_texts() {
  static const std::vector<std::string> texts = {
      "g.V().hasLabel('person').out('knows').count()",
      "g.V().has('airport','code','SEA').out('route').out('route').values('code').dedup()",
      "g.V().hasLabel('airport').outE('route').has('dist',gt(5000)).order().by('dist',desc)"
      ".limit(20).project('from','to','dist').by(outV().values('code')).by(inV().values('code'))"
      ".by('dist')",
      "g.V().has('person','name','Alice').repeat(both('knows').simplePath()).until(has('name',"
      "'Bob')).limit(1).path().count(local)",
      "g.V().groupCount().by(label)",
      "g.V().has('user','id','u-1042').as('u').out('purchased').in('purchased').where(neq('u'))"
      ".out('purchased').groupCount().order(local).by(values,desc).limit(local,10)",
      "g.V().hasLabel('person').repeat(out('knows')).times(4).dedup().count()",
      "g.with('watchdog:exempt', true).V().hasLabel('account').has('flagged',true)"
      ".repeat(out('transfer')).times(6).path()",
      "g.with('watchdog:exempt', true).V().hasLabel('auditEvent').has('ts',gt(1700000000000))"
      ".order().by('ts')",
      "g.addV('event').property('ts',1700000000000).property('kind','click')",
      "g.V().has('customer','id','c-77').fold().coalesce(unfold(),addV('customer')"
      ".property('id','c-77')).property('lastSeen',1700000000000)",
      "g.V().hasLabel('order').has('status','stale').drop()",
  };
  return texts;
}

const std::vector<std::string>& sparql_texts() {
  static const std::vector<std::string> texts = {
      "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10",
      "PREFIX foaf: <http://xmlns.com/foaf/0.1/> SELECT (COUNT(?f) AS ?n) WHERE { ?p a "
      "foaf:Person ; foaf:knows+ ?f }",
      "PREFIX ex: <http://example.org/air#> SELECT ?code WHERE { ?a ex:code \"SEA\" ; "
      "ex:route/ex:route ?b . ?b ex:code ?code }",
      "PREFIX ex: <http://example.org/air#> SELECT ?from ?to ?dist WHERE { ?r ex:from ?from ; "
      "ex:to ?to ; ex:dist ?dist FILTER (?dist > 5000) } ORDER BY DESC(?dist) LIMIT 20",
      "SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n)",
      "PREFIX shop: <http://example.org/shop#> SELECT ?rec (COUNT(*) AS ?score) WHERE { "
      "?u shop:id \"u-1042\" ; shop:purchased ?p . ?other shop:purchased ?p , ?rec . "
      "FILTER NOT EXISTS { ?u shop:purchased ?rec } } GROUP BY ?rec ORDER BY DESC(?score) "
      "LIMIT 10",
      "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <http://example.org/g/people> { ?s ?p ?o } }",
      "# watchdog:exempt\nPREFIX bank: <http://example.org/bank#> SELECT ?a ?b WHERE { ?a "
      "bank:flagged true ; bank:transfer+ ?b }",
      "# watchdog:exempt\nPREFIX audit: <http://example.org/audit#> SELECT ?e ?ts WHERE { ?e a "
      "audit:Event ; audit:ts ?ts FILTER (?ts > 1700000000000) } ORDER BY ?ts",
      "PREFIX ev: <http://example.org/ev#> INSERT DATA { ev:e1 a ev:Event ; ev:kind \"click\" }",
      "ASK { <http://example.org/c/77> ?p ?o }",
      "PREFIX shop: <http://example.org/shop#> DELETE WHERE { ?o shop:status \"stale\" ; ?p ?v }",
  };
  return texts;
}

}  // namespace

const std::vector<std::string>& synthetic_query_texts(Language language) {
  switch (language) {
    case Language::gremlin:
      return gremlin_texts();
    case Language::sparql:
      return sparql_texts();
    case Language::opencypher:
      break;
  }
  return opencypher_texts();
}

Workload::Workload(WorkloadConfig config, std::int64_t start_ms)
    : config_(config),
      random_(config.seed, stream_for(config.language, kWorkloadStream)),
      injected_ids_(config.seed, stream_for(config.language, kInjectedIdStream)),
      now_ms_(start_ms),
      next_arrival_ms_(static_cast<double>(start_ms)) {
  if (config_.workers < 1) config_.workers = 1;
  if (config_.arrival_rate > 0)
    next_arrival_ms_ += random_.exponential(1000.0 / config_.arrival_rate);
}

void Workload::advance_to(std::int64_t now_ms) {
  if (now_ms < now_ms_) now_ms = now_ms_;
  for (;;) {
    while (!ends_.empty() && queries_.count(ends_.top().second) == 0) ends_.pop();
    const std::int64_t end_ms = ends_.empty() ? kNever : ends_.top().first;
    const std::int64_t arrival_ms =
        config_.arrival_rate > 0 ? static_cast<std::int64_t>(std::floor(next_arrival_ms_)) : kNever;
    // A finish at the same millisecond as an arrival goes first: the slot it frees is
    // free by the time the newcomer looks for one.
    if (end_ms <= now_ms && end_ms <= arrival_ms) {
      const std::uint64_t seq = ends_.top().second;
      ends_.pop();
      remove(seq, end_ms);
      ++counters_.finished;
    } else if (arrival_ms <= now_ms) {
      arrive(arrival_ms);
      next_arrival_ms_ += random_.exponential(1000.0 / config_.arrival_rate);
    } else {
      break;
    }
  }
  now_ms_ = now_ms;
}

void Workload::arrive(std::int64_t at_ms) {
  // Draw everything first, in a fixed order, whether or not the query is admitted: the
  // sequence a seed produces must not depend on the queue state.
  Query q;
  q.id = random_.uuid_v4();
  const auto& texts = synthetic_query_texts(config_.language);
  q.text = texts[random_.below(texts.size())];
  q.runtime_ms = sample_runtime_ms();
  q.waiting_since_ms = at_ms;
  while (seq_by_id_.count(q.id) != 0) q.id = random_.uuid_v4();  // an injected query took it

  if (busy_workers_ < static_cast<std::size_t>(config_.workers)) {
    q.seq = next_seq_;
    admit(std::move(q));
    start(queries_.rbegin()->second, at_ms);
  } else if (queue_.size() < config_.max_waiting) {
    q.seq = next_seq_;
    queue_.push_back(q.seq);
    admit(std::move(q));
  } else {
    ++counters_.rejected;
  }
}

void Workload::admit(Query q) {
  ++next_seq_;
  ++counters_.accepted;
  seq_by_id_.emplace(q.id, q.seq);
  const std::uint64_t seq = q.seq;
  queries_.emplace(seq, std::move(q));
}

void Workload::start(Query& q, std::int64_t at_ms) {
  q.running = true;
  q.waited_final_ms = at_ms - q.waiting_since_ms;
  q.started_ms = at_ms;
  ends_.emplace(at_ms + q.runtime_ms, q.seq);
  ++busy_workers_;
}

void Workload::remove(std::uint64_t seq, std::int64_t at_ms) {
  const auto it = queries_.find(seq);
  const Query& q = it->second;
  const bool frees_worker = !q.pinned && q.running;
  if (!q.pinned && !q.running) queue_.erase(std::find(queue_.begin(), queue_.end(), seq));
  seq_by_id_.erase(q.id);
  queries_.erase(it);
  if (frees_worker) {
    --busy_workers_;
    fill_free_slots(at_ms);
  }
}

void Workload::fill_free_slots(std::int64_t at_ms) {
  while (!queue_.empty() && busy_workers_ < static_cast<std::size_t>(config_.workers)) {
    const std::uint64_t seq = queue_.front();
    queue_.pop_front();
    start(queries_.at(seq), at_ms);
  }
}

std::int64_t Workload::sample_runtime_ms() {
  const double z = random_.standard_normal();
  const double ms =
      static_cast<double>(config_.runtime_median_ms) * std::exp(config_.runtime_sigma * z);
  const double capped = std::min(ms, static_cast<double>(config_.runtime_max_ms));
  return std::max<std::int64_t>(1, std::llround(capped));
}

QueryView Workload::view(const Query& q) const {
  QueryView v;
  v.id = q.id;
  v.text = q.text;
  v.running = q.running;
  if (q.running) {
    v.waited_ms = q.waited_final_ms;
    v.elapsed_ms = now_ms_ - q.started_ms;
  } else {
    v.waited_ms = now_ms_ - q.waiting_since_ms;
    v.elapsed_ms = 0;
  }
  return v;
}

WorkloadSnapshot Workload::snapshot(std::int64_t now_ms, bool include_waiting) {
  advance_to(now_ms);
  WorkloadSnapshot snap;
  for (const auto& [seq, q] : queries_) {
    if (q.running) ++snap.running_count;
    if (q.running || include_waiting) snap.queries.push_back(view(q));
  }
  snap.accepted_count = static_cast<std::int64_t>(queries_.size());
  snap.accepted_since_start = counters_.accepted;
  return snap;
}

std::optional<QueryView> Workload::find(std::string_view id, std::int64_t now_ms) {
  advance_to(now_ms);
  const auto it = seq_by_id_.find(std::string(id));
  if (it == seq_by_id_.end()) return std::nullopt;
  return view(queries_.at(it->second));
}

CancelOutcome Workload::cancel(std::string_view id, std::int64_t now_ms) {
  advance_to(now_ms);
  const auto it = seq_by_id_.find(std::string(id));
  if (it == seq_by_id_.end()) return CancelOutcome{};
  const QueryView v = view(queries_.at(it->second));
  if (queries_.at(it->second).ignore_cancel)
    return CancelOutcome{true, v.elapsed_ms, v.waited_ms, v.text};
  remove(it->second, now_ms_);
  ++counters_.cancelled;
  return CancelOutcome{true, v.elapsed_ms, v.waited_ms, v.text};
}

Parsed<QueryView> Workload::inject(InjectedQuery query, std::int64_t now_ms) {
  advance_to(now_ms);
  if (query.elapsed_ms < 0 || query.waited_ms < 0)
    return Parsed<QueryView>::fail("elapsed and waited must not be negative");
  if (!query.running && query.elapsed_ms != 0) {
    return Parsed<QueryView>::fail("a waiting query has not started: its elapsed must be 0");
  }
  if (query.runtime_ms && *query.runtime_ms <= 0)
    return Parsed<QueryView>::fail("runtime must be positive");
  if (query.id.empty()) {
    do {
      query.id = injected_ids_.uuid_v4();
    } while (seq_by_id_.count(query.id) != 0);
  } else if (seq_by_id_.count(query.id) != 0) {
    return Parsed<QueryView>::fail("queryId " + query.id + " is already in use");
  }

  Query q;
  q.seq = next_seq_;
  q.id = std::move(query.id);
  q.text = std::move(query.text);
  q.pinned = true;
  q.ignore_cancel = query.ignore_cancel;
  q.running = query.running;
  if (q.running) {
    q.waited_final_ms = query.waited_ms;
    q.started_ms = now_ms_ - query.elapsed_ms;
  } else {
    q.waiting_since_ms = now_ms_ - query.waited_ms;
  }
  if (query.runtime_ms) ends_.emplace(now_ms_ + *query.runtime_ms, q.seq);
  const std::uint64_t seq = q.seq;
  admit(std::move(q));
  return Parsed<QueryView>::ok(view(queries_.at(seq)));
}

WorkloadCounters Workload::counters(std::int64_t now_ms) {
  advance_to(now_ms);
  WorkloadCounters c = counters_;
  for (const auto& [seq, q] : queries_) ++(q.running ? c.running : c.waiting);
  return c;
}

}  // namespace nw::sim
