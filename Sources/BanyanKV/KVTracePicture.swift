import Foundation

/// A self-contained SVG of page ownership over a run: one row per physical page, time (engine
/// steps) across, each span shaded by how many sequences referenced the page then.
public enum KVTracePicture {
    static let shades: [(upTo: Int, color: String, label: String)] = [
        (1, "#b7e4c7", "1 (private)"), (3, "#74c69d", "2–3"), (15, "#2d6a4f", "4–15"), (Int.max, "#081c15", "16+"),
    ]

    public static func svg(_ replay: KVTraceReplay, title: String = "KV pages over time") -> String {
        let pages = (replay.spans.map(\.page).max() ?? 0) + 1
        let steps = max(replay.lastStep + 1, 1)
        let left = 60.0, top = 40.0, width = 820.0, height = min(max(Double(pages) * 3, 200), 700)
        let dx = width / Double(steps), dy = height / Double(pages)
        var out = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(left + width + 180))" height="\(Int(top + height + 50))" \
        font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="\(left)" y="22" font-size="15">\(escape(title))</text>
        <rect x="\(left)" y="\(top)" width="\(width)" height="\(height)" fill="#f8f9fa" stroke="#adb5bd"/>

        """
        for span in replay.spans {
            let color = shades.first { span.references <= $0.upTo }!.color
            out += "<rect x=\(fmt(left + Double(span.steps.lowerBound) * dx)) y=\(fmt(top + Double(span.page) * dy)) "
                + "width=\(fmt(Double(span.steps.count) * dx)) height=\(fmt(max(dy, 0.5))) fill=\"\(color)\">"
                + "<title>page \(span.page), steps \(span.steps.lowerBound)–\(span.steps.upperBound - 1): \(span.references) owner(s)</title></rect>\n"
        }
        out += "<text x=\(fmt(left)) y=\(fmt(top + height + 18))>step 0</text>\n"
        out += "<text x=\(fmt(left + width)) y=\(fmt(top + height + 18)) text-anchor=\"end\">step \(steps - 1)</text>\n"
        out += "<text x=\(fmt(left + width / 2)) y=\(fmt(top + height + 38)) text-anchor=\"middle\">engine step</text>\n"
        out += "<text x=\(fmt(left - 8)) y=\(fmt(top + 10)) text-anchor=\"end\">page 0</text>\n"
        out += "<text x=\(fmt(left - 8)) y=\(fmt(top + height)) text-anchor=\"end\">\(pages - 1)</text>\n"
        out += "<text x=\(fmt(left + width + 20)) y=\(fmt(top + 10))>owners of a page</text>\n"
        for (i, shade) in shades.enumerated() {
            let y = top + 24 + Double(i) * 22
            out += "<rect x=\(fmt(left + width + 20)) y=\(fmt(y)) width=\"14\" height=\"14\" fill=\"\(shade.color)\"/>"
            out += "<text x=\(fmt(left + width + 40)) y=\(fmt(y + 12))>\(shade.label)</text>\n"
        }
        return out + "</svg>\n"
    }

    private static func fmt(_ x: Double) -> String {
        "\"" + String(Double(Int(x * 100)) / 100) + "\""
    }

    private static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}
