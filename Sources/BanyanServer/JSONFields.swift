import Foundation

/// A request body's fields, read with the checks OpenAI's API makes: each wrong type or value is a 400
/// naming the parameter.
struct JSONFields: @unchecked Sendable {  // an immutable tree of JSON values
    let object: [String: Any]
    let prefix: String

    init(_ object: [String: Any], prefix: String = "") {
        self.object = object
        self.prefix = prefix
    }

    /// Parses a body that must be one JSON object.
    init(body: Data) throws(APIError) {
        guard !body.isEmpty else { throw .invalid("the request body is empty; send a JSON object") }
        let parsed: Any
        do { parsed = try JSONSerialization.jsonObject(with: body, options: [.fragmentsAllowed]) } catch {
            throw .invalid("the request body is not valid JSON: \((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "parse error")")
        }
        guard let object = parsed as? [String: Any] else { throw .invalid("the request body must be a JSON object") }
        self.init(object)
    }

    func name(_ key: String) -> String { prefix + key }

    /// JSON's true and false arrive as NSNumber too; tell them from numbers.
    static func isBoolean(_ n: NSNumber) -> Bool {
        String(cString: n.objCType) == "c" || String(describing: type(of: n)).contains("Boolean")
    }

    func has(_ key: String) -> Bool { object[key] != nil && !(object[key] is NSNull) }

    func bool(_ key: String) throws(APIError) -> Bool? {
        guard has(key) else { return nil }
        guard let n = object[key] as? NSNumber, JSONFields.isBoolean(n) else {
            throw .invalid("\(name(key)) must be true or false", param: name(key))
        }
        return n.boolValue
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws(APIError) -> Int? {
        guard has(key) else { return nil }
        guard let n = object[key] as? NSNumber, !JSONFields.isBoolean(n),
              n.doubleValue == n.doubleValue.rounded(), abs(n.doubleValue) < 1e15 else {
            throw .invalid("\(name(key)) must be an integer", param: name(key))
        }
        guard range.contains(n.intValue) else {
            throw .invalid("\(name(key)) must be between \(range.lowerBound) and \(range.upperBound), not \(n.intValue)", param: name(key))
        }
        return n.intValue
    }

    func double(_ key: String, in range: ClosedRange<Double>) throws(APIError) -> Double? {
        guard has(key) else { return nil }
        guard let n = object[key] as? NSNumber, !JSONFields.isBoolean(n), n.doubleValue.isFinite else {
            throw .invalid("\(name(key)) must be a number", param: name(key))
        }
        guard range.contains(n.doubleValue) else {
            throw .invalid("\(name(key)) must be between \(range.lowerBound) and \(range.upperBound), not \(n.doubleValue)", param: name(key))
        }
        return n.doubleValue
    }

    func string(_ key: String) throws(APIError) -> String? {
        guard has(key) else { return nil }
        guard let s = object[key] as? String else { throw .invalid("\(name(key)) must be a string", param: name(key)) }
        return s
    }

    func object(_ key: String) throws(APIError) -> JSONFields? {
        guard has(key) else { return nil }
        guard let o = object[key] as? [String: Any] else { throw .invalid("\(name(key)) must be an object", param: name(key)) }
        return JSONFields(o, prefix: name(key) + ".")
    }

    /// A string, or an array of up to `limit` strings (OpenAI's `stop`).
    func strings(_ key: String, limit: Int) throws(APIError) -> [String]? {
        guard has(key) else { return nil }
        if let s = object[key] as? String { return [s] }
        guard let a = object[key] as? [Any], let strings = a as? [String] else {
            throw .invalid("\(name(key)) must be a string or an array of strings", param: name(key))
        }
        guard strings.count <= limit else { throw .invalid("\(name(key)) takes at most \(limit) strings", param: name(key)) }
        return strings
    }

    /// An array of integers (token ids).
    func ints(_ key: String) throws(APIError) -> [Int]? {
        guard has(key) else { return nil }
        guard let a = object[key] as? [Any] else { throw .invalid("\(name(key)) must be an array of integers", param: name(key)) }
        var out: [Int] = []
        for v in a {
            guard let n = v as? NSNumber, !JSONFields.isBoolean(n), n.doubleValue == n.doubleValue.rounded() else {
                throw .invalid("\(name(key)) must be an array of integers", param: name(key))
            }
            out.append(n.intValue)
        }
        return out
    }
}
