// Safe reading of untrusted partner XML with libxml2, and XSD validation that
// reports every problem with its line and the path of the offending field.
//
// Hostile documents are refused in three layers: a DOCTYPE anywhere in the
// prolog is refused before the parser runs; the parser is set up with no
// network, no DTD loading, no entity substitution and per-context SAX hooks
// that never declare or resolve an entity (libxml2 2.9 would otherwise still
// open the file an external entity names); and libxml2's default nesting
// depth limit stays in force (no XML_PARSE_HUGE).
#pragma once

#include <ketenhub/sdk/canonical.hpp>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlschemas.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace ketenhub::sdk {

// Thrown inside an adapter when an input is refused; the SDK turns it into
// KH_REJECTED with the problems as the error report. Never crosses the ABI.
class Rejection : public std::exception {
public:
    explicit Rejection(std::vector<Problem> problems) : problems_(std::move(problems)) {}
    Rejection(long line, std::string field, std::string message)
        : problems_{Problem{line, std::move(field), std::move(message)}} {}
    const char* what() const noexcept override {
        return problems_.empty() ? "rejected" : problems_.front().message.c_str();
    }
    const std::vector<Problem>& problems() const { return problems_; }

private:
    std::vector<Problem> problems_;
};

namespace xml {

inline std::string local_name(const xmlNode* n) {
    return n && n->name ? reinterpret_cast<const char*>(n->name) : std::string();
}

// "/Doorverwijzing/client/coaNummer", "/Export/Contactmoment[3]/land", "/dossier/@nr".
inline std::string path_of(const xmlNode* node) {
    std::vector<std::string> parts;
    for (const xmlNode* n = node; n && n->type != XML_DOCUMENT_NODE; n = n->parent) {
        if (n->type == XML_ATTRIBUTE_NODE) {
            parts.push_back("@" + local_name(n));
        } else if (n->type == XML_ELEMENT_NODE) {
            int index = 0, same = 0;
            if (n->parent && n->parent->type == XML_ELEMENT_NODE) {
                for (const xmlNode* s = n->parent->children; s; s = s->next) {
                    if (s->type != XML_ELEMENT_NODE || !xmlStrEqual(s->name, n->name)) continue;
                    ++same;
                    if (s == n) index = same;
                }
            }
            parts.push_back(same > 1 ? local_name(n) + "[" + std::to_string(index) + "]" : local_name(n));
        }
    }
    std::string out;
    for (auto it = parts.rbegin(); it != parts.rend(); ++it) out += "/" + *it;
    return out;
}

inline long line_of(const xmlNode* n) {
    if (!n) return 0;
    if (n->type == XML_ATTRIBUTE_NODE) n = n->parent;
    return n ? static_cast<long>(xmlGetLineNo(const_cast<xmlNode*>(n))) : 0;
}

// libxml2 writes names as "{urn:...}land"; a partner reads "land" better.
inline std::string tidy_message(const char* raw) {
    std::string m = raw ? raw : "";
    std::string out;
    out.reserve(m.size());
    for (size_t i = 0; i < m.size(); ++i) {
        // Only a namespace right after a quote: "'{urn:...}land'". Patterns
        // ("[0-9]{4}") and enumeration sets keep their braces.
        if (m[i] == '{' && i > 0 && m[i - 1] == '\'') {
            size_t close = m.find('}', i);
            if (close != std::string::npos && m.substr(i, close - i).find(':') != std::string::npos) {
                i = close;
                continue;
            }
        }
        out += m[i];
    }
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
    return out;
}

inline Problem problem_from(const xmlError* e) {
    Problem p;
    p.line = e ? e->line : 0;
    p.message = tidy_message(e ? e->message : "unknown XML error");
    if (e && e->node) {
        const auto* node = static_cast<const xmlNode*>(e->node);
        p.field = path_of(node);
        if (long l = line_of(node); l > 0) p.line = l;
    }
    return p;
}

// Finds a DOCTYPE declaration in the prolog without running the parser.
// Returns the 1-based line of "<!DOCTYPE", or 0 when there is none.
inline long doctype_line(std::string_view doc) {
    long line = 1;
    size_t i = 0;
    auto skip_until = [&](std::string_view end) {
        size_t at = doc.find(end, i);
        size_t stop = at == std::string_view::npos ? doc.size() : at + end.size();
        for (; i < stop; ++i)
            if (doc[i] == '\n') ++line;
    };
    if (doc.substr(0, 3) == "\xEF\xBB\xBF") i = 3;
    while (i < doc.size()) {
        char c = doc[i];
        if (c == '\n') { ++line; ++i; continue; }
        if (c == ' ' || c == '\t' || c == '\r') { ++i; continue; }
        if (doc.substr(i, 5) == "<?xml" || doc.substr(i, 2) == "<?") { skip_until("?>"); continue; }
        if (doc.substr(i, 4) == "<!--") { skip_until("-->"); continue; }
        if (doc.substr(i, 9) == "<!DOCTYPE") return line;
        return 0;  // the root element (or garbage the parser will refuse) comes first
    }
    return 0;
}

namespace detail {
struct DocFree {
    void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
struct CtxtFree {
    void operator()(xmlParserCtxt* c) const { xmlFreeParserCtxt(c); }
};
inline xmlEntityPtr no_entity(void*, const xmlChar* name) { return xmlGetPredefinedEntity(name); }
inline xmlParserInputPtr no_resolve(void*, const xmlChar*, const xmlChar*) { return nullptr; }
inline void no_entity_decl(void*, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {}
inline void no_external_subset(void*, const xmlChar*, const xmlChar*, const xmlChar*) {}
inline void collect(void* user, xmlErrorPtr error) {
    auto* ctxt = static_cast<xmlParserCtxtPtr>(user);
    auto* problems = static_cast<std::vector<Problem>*>(ctxt->_private);
    if (problems && error && problems->size() < 50) problems->push_back(problem_from(error));
}
inline void collect_validation(void* user, xmlErrorPtr error) {
    auto* problems = static_cast<std::vector<Problem>*>(user);
    if (problems && error && problems->size() < 50) problems->push_back(problem_from(error));
}
}  // namespace detail

class Document {
public:
    // Parses an untrusted document. Throws Rejection naming what is wrong and
    // on which line; never loads anything the document points to.
    static Document parse_untrusted(std::string_view bytes) {
        if (long line = doctype_line(bytes); line > 0)
            throw Rejection(line, "DOCTYPE",
                            "documents with a DOCTYPE declaration (DTD, entities) are refused");
        std::unique_ptr<xmlParserCtxt, detail::CtxtFree> ctxt(xmlNewParserCtxt());
        if (!ctxt) throw std::bad_alloc();
        std::vector<Problem> problems;
        ctxt->_private = &problems;
        ctxt->sax->serror = &detail::collect;
        ctxt->sax->getEntity = &detail::no_entity;
        ctxt->sax->resolveEntity = &detail::no_resolve;
        ctxt->sax->entityDecl = &detail::no_entity_decl;
        ctxt->sax->externalSubset = &detail::no_external_subset;
        // Whitespace is kept: a signed document must read back byte for byte.
        const int options = XML_PARSE_NONET | XML_PARSE_NOCDATA;
        xmlDoc* raw = xmlCtxtReadMemory(ctxt.get(), bytes.data(), static_cast<int>(bytes.size()),
                                        "document.xml", nullptr, options);
        std::unique_ptr<xmlDoc, detail::DocFree> doc(raw);
        if (!doc || !ctxt->wellFormed) {
            if (problems.empty()) problems.push_back(Problem{0, "", "document is not well-formed XML"});
            for (auto& p : problems) p.message = "not well-formed: " + p.message;
            throw Rejection(std::move(problems));
        }
        if (doc->intSubset || doc->extSubset)
            throw Rejection(1, "DOCTYPE", "documents with a DOCTYPE declaration (DTD, entities) are refused");
        Document d;
        d.doc_ = std::move(doc);
        return d;
    }

    xmlDoc* get() const { return doc_.get(); }
    xmlNode* root() const { return xmlDocGetRootElement(doc_.get()); }
    std::string encoding() const {
        return doc_ && doc_->encoding ? reinterpret_cast<const char*>(doc_->encoding) : "UTF-8";
    }

private:
    std::unique_ptr<xmlDoc, detail::DocFree> doc_;
};

// A compiled XSD, shareable between threads for validation.
class Schema {
public:
    Schema(std::string_view xsd_text, const std::string& name) {
        xmlSchemaParserCtxtPtr pctxt = xmlSchemaNewMemParserCtxt(xsd_text.data(), static_cast<int>(xsd_text.size()));
        if (!pctxt) throw std::runtime_error("cannot read schema " + name);
        std::vector<Problem> problems;
        xmlSchemaSetParserStructuredErrors(pctxt, &detail::collect_validation, &problems);
        schema_ = xmlSchemaParse(pctxt);
        xmlSchemaFreeParserCtxt(pctxt);
        if (!schema_) {
            std::string why = problems.empty() ? "unknown error" : problems.front().message;
            throw std::runtime_error("schema " + name + " does not compile: " + why);
        }
    }
    Schema(const Schema&) = delete;
    Schema& operator=(const Schema&) = delete;
    ~Schema() { xmlSchemaFree(schema_); }

    // Every violation, with line and field path; empty when valid.
    std::vector<Problem> validate(const Document& doc) const {
        std::vector<Problem> problems;
        xmlSchemaValidCtxtPtr v = xmlSchemaNewValidCtxt(schema_);
        if (!v) throw std::bad_alloc();
        xmlSchemaSetValidStructuredErrors(v, &detail::collect_validation, &problems);
        int rc = xmlSchemaValidateDoc(v, doc.get());
        xmlSchemaFreeValidCtxt(v);
        if (rc != 0 && problems.empty()) problems.push_back(Problem{0, "", "document is not valid against the schema"});
        return problems;
    }

    // Throws Rejection unless valid.
    void require_valid(const Document& doc) const {
        auto problems = validate(doc);
        if (!problems.empty()) throw Rejection(std::move(problems));
    }

private:
    xmlSchemaPtr schema_ = nullptr;
};

// ---- Navigation helpers for adapter code ---------------------------------

inline std::string ns_of(const xmlNode* n) {
    return n && n->ns && n->ns->href ? reinterpret_cast<const char*>(n->ns->href) : std::string();
}

inline xmlNode* child(const xmlNode* parent, std::string_view name) {
    if (!parent) return nullptr;
    for (xmlNode* c = parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && local_name(c) == name) return c;
    return nullptr;
}

inline std::vector<xmlNode*> children(const xmlNode* parent, std::string_view name = {}) {
    std::vector<xmlNode*> out;
    if (!parent) return out;
    for (xmlNode* c = parent->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && (name.empty() || local_name(c) == name)) out.push_back(c);
    return out;
}

inline std::string text(const xmlNode* n) {
    if (!n) return {};
    xmlChar* content = xmlNodeGetContent(n);
    std::string s = content ? reinterpret_cast<const char*>(content) : "";
    xmlFree(content);
    return s;
}

inline std::optional<std::string> child_text(const xmlNode* parent, std::string_view name) {
    xmlNode* c = child(parent, name);
    if (!c) return std::nullopt;
    return text(c);
}

inline std::optional<std::string> attr(const xmlNode* n, const char* name) {
    if (!n) return std::nullopt;
    xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
    if (!v) return std::nullopt;
    std::string s = reinterpret_cast<const char*>(v);
    xmlFree(v);
    return s;
}

// ---- Writing outbound documents -------------------------------------------

// A small writer on top of libxml2's tree API, so escaping and encoding are
// libxml2's job.
class Writer {
public:
    Writer(const char* root_name, const char* ns_uri) : doc_(xmlNewDoc(BAD_CAST "1.0")) {
        root_ = xmlNewNode(nullptr, BAD_CAST root_name);
        ns_ = xmlNewNs(root_, BAD_CAST ns_uri, nullptr);
        xmlSetNs(root_, ns_);
        xmlDocSetRootElement(doc_.get(), root_);
    }
    xmlNode* root() const { return root_; }
    // For steps that work on the whole tree, such as an XML signature.
    xmlDoc* doc() const { return doc_.get(); }
    xmlNode* add(xmlNode* parent, const char* name, const std::string& value) {
        return xmlNewTextChild(parent, ns_, BAD_CAST name, BAD_CAST value.c_str());
    }
    xmlNode* add(xmlNode* parent, const char* name) { return xmlNewChild(parent, ns_, BAD_CAST name, nullptr); }
    void set_attr(xmlNode* n, const char* name, const std::string& value) {
        xmlSetProp(n, BAD_CAST name, BAD_CAST value.c_str());
    }
    // Indented unless `pretty` is false; a signed document must not be
    // re-indented after signing, since that changes what was signed.
    std::string serialize(const char* encoding = "UTF-8", bool pretty = true) const {
        xmlChar* mem = nullptr;
        int size = 0;
        xmlDocDumpFormatMemoryEnc(doc_.get(), &mem, &size, encoding, pretty ? 1 : 0);
        std::string out(reinterpret_cast<const char*>(mem), static_cast<size_t>(size));
        xmlFree(mem);
        return out;
    }

private:
    std::unique_ptr<xmlDoc, detail::DocFree> doc_;
    xmlNode* root_ = nullptr;
    xmlNs* ns_ = nullptr;
};

}  // namespace xml
}  // namespace ketenhub::sdk
