import Foundation

/// A search tree as one self-contained HTML page (no scripts, no external files): nested lists, a
/// node per step, coloured by fate, with its score, text, token count and KV pages. The tree's JSON
/// is embedded too, so the page alone is the whole record.
public struct SearchTreePage {
    public var tree: SearchTree
    public var title: String

    public init(tree: SearchTree, title: String) {
        self.tree = tree
        self.title = title
    }

    public func render() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = String(decoding: try encoder.encode(tree), as: UTF8.self).replacingOccurrences(of: "</", with: "<\\/")
        let pages = Set(tree.nodes.flatMap(\.kvPages))
        let listed = tree.nodes.reduce(0) { $0 + $1.kvPages.count }
        var html = """
        <!doctype html><html><head><meta charset="utf-8"><title>\(escape(title))</title><style>
        body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}
        ul{list-style:none;margin:0;padding-left:1.4em;border-left:1px dotted #bbb}
        li{margin:2px 0}
        .n{display:inline-block;padding:1px 6px;border-radius:4px;font-family:ui-monospace,monospace;white-space:pre-wrap}
        .kept{background:#e3f0ff}.pruned{background:#eee;color:#888;text-decoration:line-through}
        .completed{background:#d9f5d9;font-weight:600}.lookahead{background:#fff3cd;font-style:italic}
        .s{color:#555;font-size:12px;margin-left:6px}.legend span{margin-right:1em}
        </style></head><body>
        <h2>\(escape(title))</h2>
        <p class="legend"><span class="n kept">kept \(tree.count(.kept))</span><span class="n pruned">pruned \(tree.count(.pruned))</span>\
        <span class="n completed">completed \(tree.count(.completed))</span><span class="n lookahead">look-ahead \(tree.count(.lookahead))</span>\
        \(tree.nodes.count - 1) steps; KV pages: \(pages.count) distinct, \(listed) as listed per step (shared pages repeat)</p>
        """
        html += "<ul style=\"border:none;padding:0\">" + item(SearchTree.root) + "</ul>"
        html += "<script type=\"application/json\" id=\"tree\">\(json)</script></body></html>\n"
        return html
    }

    private func item(_ id: Int) -> String {
        let n = tree[id]
        var label = escape(n.text.trimmingCharacters(in: .newlines))
        if label.isEmpty { label = "∅" }
        var meta: [String] = []
        if let s = n.score { meta.append(String(format: "score %.3f", s)) }
        if let lp = n.meanLogProbability { meta.append(String(format: "logprob %.2f", lp)) }
        if !n.tokens.isEmpty { meta.append("\(n.tokens.count) tok") }
        if !n.kvPages.isEmpty { meta.append("pages " + n.kvPages.map(String.init).joined(separator: ",")) }
        if let a = n.answer { meta.append("answer " + escape(a)) }
        var out = "<li><span class=\"n \(n.status.rawValue)\" title=\"node \(id), \(n.status.rawValue)\">\(label)</span>"
        out += "<span class=\"s\">\(meta.joined(separator: " · "))</span>"
        if !n.children.isEmpty { out += "<ul>" + n.children.map(item).joined() + "</ul>" }
        return out + "</li>"
    }

    private func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
