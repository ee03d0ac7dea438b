import EasyNets
import Foundation
import Testing

@Test func fixedStyleIsPrintf() {
    for value in [0, 0.5, -0.5, 2.0 / 3, 1234.56789, 0.00049, 1e15, -3.25, 0.125] {
        for decimals in [0, 1, 3, 4] {
            #expect(String(value, style: .fixed(decimals)) == String(format: "%.\(decimals)f", value))
        }
    }
    #expect(String(0.5, style: .fixed(4)) == "0.5000")
}

@Test func roundedStyleWritesTheShortestDigits() {
    #expect(String(2.5, style: .rounded(3)) == "2.5")
    #expect(String(2, style: .rounded(3)) == "2.0")
    #expect(String(2.0 / 3, style: .rounded(3)) == "0.667")
    #expect(String(12.34, style: .rounded(1)) == "12.3")
    #expect(String(0.8807970779778823, style: .rounded(6)) == "0.880797")
}

@Test func reportStyle() {
    #expect(String(0.5, style: .report) == "0.500")
    #expect(String(2.0 / 3, style: .report) == "0.667")
    #expect(String(-1.5, style: .report) == "-1.500")
    #expect(String(-0.0004, style: .report) == "0.000")
    #expect(String(1e13, style: .report) == "1e+13")
    #expect(String(Double.nan, style: .report) == "nan")
    #expect(String(-Double.infinity, style: .report) == "-inf")
}
