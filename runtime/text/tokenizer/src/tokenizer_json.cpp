// tokenizer.json / tokenizer_config.json -> Tokenizer::Impl.
#include "byte_level.h"
#include "json_file.h"
#include "tokenizer_impl.h"
#include "utf8.h"

#include <new>
#include <unordered_set>

namespace nhc::text::detail {
namespace {

using nlohmann::json;

constexpr int64_t kMaxVocab = int64_t{1} << 24;
constexpr int64_t kMaxId = int64_t{1} << 24; // ids must be below this

void requireObject(const json &j, const std::string &where) {
  if (!j.is_object())
    throw TextError(where + ": expected an object, got " + typeName(j));
}

std::string typeOf(const JsonAt &o) { return o.str("type"); }

// ---- model ------------------------------------------------------------------

std::unique_ptr<BpeModel> parseModel(const json &j, const std::string &where) {
  requireObject(j, where);
  JsonAt m{j, where};
  std::string type = m.has("type") ? typeOf(m) : "BPE";
  if (type != "BPE")
    m.fail("type", "unsupported model type \"" + type + "\" (only BPE)");
  if (m.has("dropout")) {
    const json &d = j.at("dropout");
    if (!d.is_number() || d.get<double>() != 0.0)
      m.fail("dropout", "BPE dropout is not supported (must be null)");
  }
  BpeOptions opt;
  opt.unkToken = m.optStr("unk_token");
  opt.continuingSubwordPrefix = m.optStr("continuing_subword_prefix");
  opt.endOfWordSuffix = m.optStr("end_of_word_suffix");
  // tokenizers treats "" like null for these two.
  if (opt.continuingSubwordPrefix && opt.continuingSubwordPrefix->empty())
    opt.continuingSubwordPrefix.reset();
  if (opt.endOfWordSuffix && opt.endOfWordSuffix->empty())
    opt.endOfWordSuffix.reset();
  opt.fuseUnk = m.boolean("fuse_unk", false);
  opt.byteFallback = m.boolean("byte_fallback", false);
  opt.ignoreMerges = m.boolean("ignore_merges", false);

  const json &v = m.req("vocab");
  if (!v.is_object()) m.fail("vocab", "expected an object, got " + typeName(v));
  if (static_cast<int64_t>(v.size()) > kMaxVocab)
    m.fail("vocab", std::to_string(v.size()) + " entries, more than 2^24");
  std::unordered_map<std::string, int32_t> vocab;
  vocab.reserve(v.size());
  std::unordered_map<int32_t, const std::string *> seen;
  seen.reserve(v.size());
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string k = where + ".vocab[\"" + it.key() + "\"]";
    if (!isValidUtf8(it.key())) throw TextError(k + ": token is not UTF-8");
    if (!it->is_number_integer())
      throw TextError(k + ": expected an integer id, got " + typeName(*it));
    // The id as the file spells it (an unsigned one may pass int64_t).
    if (it->is_number_unsigned() ? it->get<uint64_t>() >= uint64_t(kMaxId)
                                 : it->get<int64_t>() < 0 ||
                                       it->get<int64_t>() >= kMaxId)
      throw TextError(k + ": id " + it->dump() + " out of range [0, 2^24)");
    const int64_t id = it->get<int64_t>();
    auto [pos, fresh] = vocab.emplace(it.key(), static_cast<int32_t>(id));
    (void)pos;
    if (!fresh) continue; // nlohmann keeps one value per key anyway
    auto [s, newId] = seen.emplace(static_cast<int32_t>(id), &pos->first);
    if (!newId)
      throw TextError(k + ": duplicate id " + std::to_string(id) +
                      " (also token \"" + *s->second + "\")");
  }

  std::vector<std::pair<std::string, std::string>> merges;
  if (m.has("merges")) {
    const json &ms = j.at("merges");
    if (!ms.is_array()) m.fail("merges", "expected an array, got " + typeName(ms));
    merges.reserve(ms.size());
    for (size_t i = 0; i < ms.size(); ++i) {
      const json &e = ms[i];
      const std::string k = where + ".merges[" + std::to_string(i) + "]";
      if (e.is_string()) {
        const std::string &s = e.get_ref<const std::string &>();
        size_t sp = s.find(' ');
        if (sp == std::string::npos || s.find(' ', sp + 1) != std::string::npos)
          throw TextError(k + ": \"" + s + "\" is not two tokens separated by one space");
        merges.emplace_back(s.substr(0, sp), s.substr(sp + 1));
      } else if (e.is_array() && e.size() == 2 && e[0].is_string() &&
                 e[1].is_string()) {
        merges.emplace_back(e[0].get<std::string>(), e[1].get<std::string>());
      } else {
        throw TextError(k + ": expected \"a b\" or [\"a\", \"b\"]");
      }
    }
  }
  std::string file = where.substr(0, where.find(": "));
  return std::make_unique<BpeModel>(std::move(vocab), merges, std::move(opt),
                                    file);
}

// ---- pre-tokenizer ----------------------------------------------------------

SplitBehavior parseBehavior(const JsonAt &o) {
  std::string b = o.str("behavior");
  if (b == "Removed") return SplitBehavior::Removed;
  if (b == "Isolated") return SplitBehavior::Isolated;
  if (b == "MergedWithPrevious") return SplitBehavior::MergedWithPrevious;
  if (b == "MergedWithNext") return SplitBehavior::MergedWithNext;
  if (b == "Contiguous") return SplitBehavior::Contiguous;
  o.fail("behavior", "unknown split behavior \"" + b + "\"");
}

void parsePreStep(const json &j, const std::string &where, PreTokenizer &pre,
                  int depth) {
  requireObject(j, where);
  JsonAt o{j, where};
  std::string type = typeOf(o);
  if (type == "Sequence") {
    if (depth > 4) o.fail("pretokenizers", "Sequence nested too deep");
    const json &list = o.req("pretokenizers");
    if (!list.is_array())
      o.fail("pretokenizers", "expected an array, got " + typeName(list));
    for (size_t i = 0; i < list.size(); ++i)
      parsePreStep(list[i], where + ".pretokenizers[" + std::to_string(i) + "]",
                   pre, depth + 1);
    return;
  }
  if (pre.byteLevel)
    throw TextError(where + ": a " + type +
                    " pre-tokenizer after ByteLevel is not supported "
                    "(ByteLevel must be the last step)");
  if (type == "Split") {
    const json &p = o.req("pattern");
    requireObject(p, o.key("pattern"));
    JsonAt po{p, o.key("pattern")};
    SplitStep step;
    // tokenizers reads an enum of one key ("expected map with a single key").
    if (p.size() != 1)
      po.fail("", "expected one key, \"Regex\" or \"String\", found " +
                      std::to_string(p.size()));
    if (po.has("Regex")) {
      std::string onig = po.str("Regex");
      std::string pcre = translateOnigPattern(onig, po.key("Regex"));
      step.regex = std::make_unique<Regex>(pcre, false, po.key("Regex"));
    } else if (po.has("String")) {
      step.regex = std::make_unique<Regex>(po.str("String"), true, po.key("String"));
    } else {
      po.fail("", "expected {\"Regex\": ...} or {\"String\": ...}");
    }
    step.behavior = parseBehavior(o);
    step.invert = o.boolean("invert", false);
    pre.splits.push_back(std::move(step));
    return;
  }
  if (type == "ByteLevel") {
    pre.byteLevel = true;
    pre.addPrefixSpace = o.boolean("add_prefix_space", true);
    if (o.boolean("use_regex", true))
      pre.byteLevelRegex = std::make_unique<Regex>(
          translateOnigPattern(kGpt2Pattern, where), false, where + " (GPT-2 regex)");
    return;
  }
  o.fail("type", "unsupported pre_tokenizer type \"" + type +
                     "\" (supported: Sequence, Split, ByteLevel)");
}

// ---- post-processor ---------------------------------------------------------

std::vector<int32_t> specialIds(const json &j, const std::string &where) {
  // ["<s>", 1] (Roberta/Bert) -> [1]
  if (!j.is_array() || j.size() != 2 || !j[1].is_number_integer())
    throw TextError(where + ": expected [\"token\", id]");
  int64_t id = j[1].get<int64_t>();
  if (id < 0 || id >= kMaxId) throw TextError(where + ": id out of range");
  return {static_cast<int32_t>(id)};
}

std::vector<int32_t> parseTemplate(const JsonAt &o) {
  const json &single = o.req("single");
  if (!single.is_array()) o.fail("single", "expected an array, got " + typeName(single));
  const json &sp = o.has("special_tokens") ? o.j.at("special_tokens") : json::object();
  if (!sp.is_object()) o.fail("special_tokens", "expected an object");
  std::vector<int32_t> out;
  for (size_t i = 0; i < single.size(); ++i) {
    const std::string k = o.key("single[" + std::to_string(i) + "]");
    const json &item = single[i];
    if (!item.is_object() || item.size() != 1)
      throw TextError(k + ": expected {\"SpecialToken\": ...} or {\"Sequence\": ...}");
    auto it = item.begin();
    if (!it->is_object()) throw TextError(k + ": expected an object");
    JsonAt io{*it, k + "." + it.key()};
    if (it.key() == "Sequence") {
      std::string id = io.str("id");
      if (id != "A") io.fail("id", "a single template can only hold sequence A");
      out.push_back(-1);
    } else if (it.key() == "SpecialToken") {
      std::string name = io.str("id");
      auto st = sp.find(name);
      if (st == sp.end() || !st->is_object())
        throw TextError(o.key("special_tokens") + ": missing \"" + name + "\"");
      JsonAt so{*st, o.key("special_tokens[\"" + name + "\"]")};
      const json &ids = so.req("ids");
      if (!ids.is_array()) so.fail("ids", "expected an array");
      for (const json &x : ids) {
        if (!x.is_number_integer()) so.fail("ids", "expected integers");
        int64_t id = x.get<int64_t>();
        if (id < 0 || id >= kMaxId) so.fail("ids", "id out of range");
        out.push_back(static_cast<int32_t>(id));
      }
    } else {
      throw TextError(k + ": unknown template piece \"" + it.key() + "\"");
    }
  }
  return out;
}

void parsePost(const json &j, const std::string &where, PostProcessor &post,
               int depth) {
  requireObject(j, where);
  JsonAt o{j, where};
  std::string type = typeOf(o);
  std::vector<int32_t> tmpl;
  if (type == "Sequence") {
    if (depth > 4) o.fail("processors", "Sequence nested too deep");
    const json &list = o.req("processors");
    if (!list.is_array()) o.fail("processors", "expected an array");
    for (size_t i = 0; i < list.size(); ++i)
      parsePost(list[i], where + ".processors[" + std::to_string(i) + "]", post,
                depth + 1);
    return;
  } else if (type == "ByteLevel") {
    return; // offsets only
  } else if (type == "TemplateProcessing") {
    tmpl = parseTemplate(o);
  } else if (type == "RobertaProcessing" || type == "BertProcessing") {
    auto cls = specialIds(o.req("cls"), o.key("cls"));
    auto sep = specialIds(o.req("sep"), o.key("sep"));
    tmpl = {cls[0], -1, sep[0]};
  } else {
    o.fail("type", "unsupported post_processor type \"" + type +
                       "\" (supported: TemplateProcessing, ByteLevel, "
                       "RobertaProcessing, BertProcessing, Sequence)");
  }
  // Compose with what came before in a Sequence.
  if (post.hasTemplate) {
    std::vector<int32_t> composed;
    for (int32_t t : tmpl) {
      if (t == -1) composed.insert(composed.end(), post.single.begin(), post.single.end());
      else composed.push_back(t);
    }
    tmpl.swap(composed);
  }
  post.single = std::move(tmpl);
  post.hasTemplate = true;
}

// ---- decoder ----------------------------------------------------------------

DecoderKind parseDecoder(const json &j, const std::string &where) {
  requireObject(j, where);
  JsonAt o{j, where};
  std::string type = typeOf(o);
  if (type == "ByteLevel") return DecoderKind::ByteLevel;
  if (type == "Sequence") {
    const json &list = o.req("decoders");
    if (list.is_array() && list.size() == 1)
      return parseDecoder(list[0], where + ".decoders[0]");
  }
  o.fail("type", "unsupported decoder type \"" + type + "\" (only ByteLevel)");
}

// ---- added tokens -----------------------------------------------------------

std::vector<AddedToken> parseAdded(const json &j, const std::string &where,
                                   const BpeModel &model) {
  if (!j.is_array()) throw TextError(where + ": expected an array, got " + typeName(j));
  std::vector<AddedToken> out;
  std::unordered_map<std::string, size_t> byContent;
  // Ids as tokenizers assigns them when it loads a file (AddedVocabulary::
  // add_tokens): a token already in the vocabulary keeps that id; the others
  // are numbered from len(model.vocab) on. The ids the file gives are only
  // checked by tokenizers (a warning); we follow its numbering so that ids
  // agree with it.
  int64_t nextId = static_cast<int64_t>(model.vocab().size());
  for (size_t i = 0; i < j.size(); ++i) {
    const std::string k = where + "[" + std::to_string(i) + "]";
    requireObject(j[i], k);
    JsonAt o{j[i], k};
    AddedToken t;
    t.content = o.str("content");
    if (!isValidUtf8(t.content)) o.fail("content", "not UTF-8");
    int64_t fileId = o.integer("id");
    if (fileId < 0 || fileId >= kMaxId)
      o.fail("id", "id " + std::to_string(fileId) + " out of range [0, 2^24)");
    t.singleWord = o.boolean("single_word", false);
    t.lstrip = o.boolean("lstrip", false);
    t.rstrip = o.boolean("rstrip", false);
    t.normalized = o.boolean("normalized", true);
    t.special = o.boolean("special", false);
    if (t.content.empty()) continue; // tokenizers ignores empty tokens
    auto prev = byContent.find(t.content);
    if (prev != byContent.end()) {
      t.id = out[prev->second].id; // later properties win
      out[prev->second] = t;
      continue;
    }
    if (auto id = model.tokenToId(t.content)) {
      t.id = *id;
    } else {
      if (nextId >= kMaxId + (int64_t{1} << 20))
        o.fail("id", "too many added tokens");
      t.id = static_cast<int32_t>(nextId++);
    }
    byContent.emplace(t.content, out.size());
    out.push_back(std::move(t));
  }
  return out;
}

std::optional<std::string> tokenField(const JsonAt &o, const std::string &k) {
  if (!o.has(k)) return std::nullopt;
  const json &v = o.j.at(k);
  if (v.is_string()) return v.get<std::string>();
  if (v.is_object()) {
    JsonAt t{v, o.key(k)};
    return t.str("content");
  }
  o.fail(k, "expected a string or {\"content\": ...}, got " + typeName(v));
}

/// Runs `load`, turning every exception but TextError into a TextError that
/// names `path`: a safety net under the typed accessors (JsonAt), which
/// already name the key.
template <class F> void guarded(const std::string &path, F &&load) {
  try {
    load();
  } catch (const TextError &) {
    throw;
  } catch (const nlohmann::json::exception &e) {
    throw TextError(path + ": unexpected JSON content: " + e.what());
  } catch (const std::bad_alloc &) {
    throw TextError(path + ": out of memory while loading");
  } catch (const std::exception &e) {
    throw TextError(path + ": cannot load: " + e.what());
  }
}

// `readChatTemplate` false: chat_template.jinja wins, as in transformers, so
// the config's template is not read (a malformed one does not matter).
void parseConfig(const std::string &path, bool readChatTemplate,
                 Tokenizer::Impl &impl) {
  json j = readJsonFile(path);
  requireObject(j, path);
  JsonAt o{j, path};
  if (auto b = tokenField(o, "bos_token")) impl.bosToken = *b;
  if (auto e = tokenField(o, "eos_token")) impl.eosToken = *e;
  impl.addBos = o.optBool("add_bos_token");
  impl.addEos = o.optBool("add_eos_token");
  if (readChatTemplate && o.has("chat_template")) {
    const json &ct = j.at("chat_template");
    if (ct.is_string()) {
      impl.chatTemplate = ct.get<std::string>();
    } else if (ct.is_array()) {
      bool found = false;
      for (size_t i = 0; i < ct.size(); ++i) {
        const std::string k = o.key("chat_template[" + std::to_string(i) + "]");
        requireObject(ct[i], k);
        JsonAt t{ct[i], k};
        if (t.str("name") == "default") {
          impl.chatTemplate = t.str("template");
          found = true;
          break;
        }
      }
      if (!found)
        o.fail("chat_template", "a list of templates without one named \"default\"");
    } else {
      o.fail("chat_template", "expected a string or a list of {name, template}, got " +
                                  typeName(ct));
    }
  }
}

} // namespace

namespace {
void loadTokenizerJson(const std::string &jsonPath, Tokenizer::Impl *impl);
} // namespace

std::unique_ptr<Tokenizer::Impl> loadTokenizer(const std::string &jsonPath,
                                               const std::string &configPath,
                                               const std::string &templatePath) {
  auto impl = std::make_unique<Tokenizer::Impl>();
  impl->jsonPath = jsonPath;
  guarded(jsonPath, [&] { loadTokenizerJson(jsonPath, impl.get()); });
  if (!configPath.empty())
    guarded(configPath, [&] { parseConfig(configPath, templatePath.empty(), *impl); });
  if (!impl->chatTemplate.empty())
    impl->chatTemplateSource = configPath + " chat_template";
  if (!templatePath.empty()) {
    impl->chatTemplate = readTextFile(templatePath);
    impl->chatTemplateSource = templatePath;
  }
  auto idOf = [&](const std::string &tok) -> std::optional<int32_t> {
    if (const AddedToken *t = impl->added.byContent(tok)) return t->id;
    return impl->model->tokenToId(tok);
  };
  if (!impl->bosToken.empty()) {
    impl->bosId = idOf(impl->bosToken);
  } else {
    int32_t id;
    if (impl->post.leadingId(&id)) {
      impl->bosId = id;
      impl->bosToken = impl->entry(id)->token;
    }
  }
  if (!impl->eosToken.empty()) impl->eosId = idOf(impl->eosToken);
  return impl;
}

namespace {
void loadTokenizerJson(const std::string &jsonPath, Tokenizer::Impl *impl) {
  json j = readJsonFile(jsonPath);
  requireObject(j, jsonPath);
  JsonAt root{j, jsonPath};

  if (root.has("normalizer")) {
    // Only null or an empty Sequence; every field is type-checked before use.
    const json &n = j.at("normalizer");
    std::string t = typeName(n);
    bool emptySeq = false;
    if (n.is_object()) {
      JsonAt no{n, root.key("normalizer")};
      t = no.str("type");
      if (t == "Sequence" && no.has("normalizers")) {
        const json &list = n.at("normalizers");
        if (!list.is_array())
          no.fail("normalizers", "expected an array, got " + typeName(list));
        emptySeq = list.empty();
      }
    }
    if (!emptySeq)
      root.fail("normalizer", "unsupported normalizer \"" + t +
                                  "\" (only null is supported)");
  }
  impl->model = parseModel(root.req("model"), root.key("model"));
  if (root.has("pre_tokenizer")) {
    parsePreStep(j.at("pre_tokenizer"), root.key("pre_tokenizer"), impl->pre, 0);
    // Each step passes over the whole text: a bound keeps an encode linear
    // in practice (published tokenizers have one to three).
    constexpr size_t kMaxPreTokenizerSplits = 64;
    if (impl->pre.splits.size() > kMaxPreTokenizerSplits)
      throw TextError(root.key("pre_tokenizer") + ": " +
                      std::to_string(impl->pre.splits.size()) +
                      " Split steps, more than the " +
                      std::to_string(kMaxPreTokenizerSplits) + " nhc runs");
  }
  if (root.has("post_processor"))
    parsePost(j.at("post_processor"), root.key("post_processor"), impl->post, 0);
  if (root.has("decoder"))
    impl->decoder = parseDecoder(j.at("decoder"), root.key("decoder"));

  std::vector<AddedToken> added;
  if (root.has("added_tokens"))
    added = parseAdded(j.at("added_tokens"), root.key("added_tokens"), *impl->model);

  // The id table: model tokens, then added tokens (which win on decode).
  int64_t maxId = -1;
  for (const auto &kv : impl->model->vocab()) maxId = std::max<int64_t>(maxId, kv.second);
  for (const auto &t : added) maxId = std::max<int64_t>(maxId, t.id);
  impl->idIndex.assign(static_cast<size_t>(maxId + 1), -1);
  impl->entries.reserve(impl->model->vocab().size() + added.size());
  auto put = [&](int32_t id, const std::string &tok) {
    int32_t &slot = impl->idIndex[static_cast<size_t>(id)];
    if (slot < 0) {
      slot = static_cast<int32_t>(impl->entries.size());
      impl->entries.push_back(IdEntry{});
    }
    impl->entries[static_cast<size_t>(slot)].token = tok;
  };
  for (const auto &kv : impl->model->vocab()) put(kv.second, kv.first);
  std::unordered_set<std::string> specials;
  for (const auto &t : added) {
    put(t.id, t.content);
    if (t.special) specials.insert(t.content);
  }
  for (IdEntry &e : impl->entries) {
    e.special = specials.count(e.token) != 0;
    e.bytes = impl->decoder == DecoderKind::ByteLevel ? byteLevelDecodeToken(e.token)
                                                      : e.token;
  }
  // Template ids must exist.
  for (int32_t id : impl->post.single)
    if (id >= 0 && !impl->entry(id))
      throw TextError(root.key("post_processor") + ": special token id " +
                      std::to_string(id) + " is not in the vocabulary");
  impl->added.build(std::move(added));
}
} // namespace

} // namespace nhc::text::detail
