using System;
using System.Globalization;
using System.Linq;
using System.Text;

namespace EfficientAI.Codegen.Emit;

/// <summary>
/// An SVG chart of arena use per layer: a bar per step with the bytes alive there, a line with the highest
/// occupied byte at that step, and the arena size and its lower bound as horizontal lines. Deterministic text,
/// invariant culture, no script.
/// </summary>
internal static class ArenaChart
{
    private const int Left = 80, Right = 20, Top = 36, Bottom = 40, PlotHeight = 220;

    public static string Write(ModelReport report)
    {
        int steps = report.ArenaLive.Length;
        double plotWidth = Math.Max(320, Math.Min(1400, steps * 8));
        double width = Left + plotWidth + Right, height = Top + PlotHeight + Bottom;
        long max = Math.Max(1, new[] { report.ArenaBytes, report.ArenaLowerBound }.Concat(report.ArenaLive).Concat(report.ArenaHighWater).Max());
        double step = steps == 0 ? plotWidth : plotWidth / steps;
        double Y(long bytes) => Top + PlotHeight - PlotHeight * (double)bytes / max;
        static string F(double v) => v.ToString("0.##", CultureInfo.InvariantCulture);
        static string N(long v) => v.ToString("N0", CultureInfo.InvariantCulture);
        static string E(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&quot;");

        var sb = new StringBuilder();
        sb.Append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").Append(F(width)).Append("\" height=\"").Append(F(height))
          .Append("\" viewBox=\"0 0 ").Append(F(width)).Append(' ').Append(F(height)).Append("\" font-family=\"sans-serif\" font-size=\"11\">\n");
        sb.Append("<title>").Append(E(report.Model)).Append(": arena use per layer</title>\n");
        sb.Append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.Append("<text x=\"").Append(Left).Append("\" y=\"16\" font-size=\"13\">").Append(E(report.Model)).Append(" \u2192 ").Append(E(report.ClassName))
          .Append(": arena ").Append(N(report.ArenaBytes)).Append(" B, lower bound ").Append(N(report.ArenaLowerBound)).Append(" B, no reuse ")
          .Append(N(report.ArenaNoReuse)).Append(" B</text>\n");
        // Bars: bytes alive per step.
        for (int i = 0; i < steps; i++)
        {
            long live = report.ArenaLive[i];
            var layer = i < report.Layers.Length ? report.Layers[i] : null;
            sb.Append("<rect x=\"").Append(F(Left + i * step)).Append("\" y=\"").Append(F(Y(live))).Append("\" width=\"").Append(F(Math.Max(step - 1, 0.5)))
              .Append("\" height=\"").Append(F(Top + PlotHeight - Y(live))).Append("\" fill=\"#4a90d9\"><title>").Append(i.ToString(CultureInfo.InvariantCulture))
              .Append(' ').Append(E(layer?.Op ?? "")).Append(' ').Append(E(layer?.Name ?? "")).Append(": ").Append(N(live)).Append(" B alive, top at ")
              .Append(N(report.ArenaHighWater[i])).Append(" B</title></rect>\n");
        }
        // The highest occupied byte per step.
        if (steps > 0)
        {
            sb.Append("<polyline fill=\"none\" stroke=\"#e67e22\" stroke-width=\"1.5\" points=\"");
            for (int i = 0; i < steps; i++)
            {
                double y = Y(report.ArenaHighWater[i]);
                sb.Append(F(Left + i * step)).Append(',').Append(F(y)).Append(' ').Append(F(Left + (i + 1) * step)).Append(',').Append(F(y)).Append(i + 1 < steps ? " " : "");
            }
            sb.Append("\"/>\n");
        }
        void HLine(long bytes, string colour, string label)
        {
            sb.Append("<line x1=\"").Append(Left).Append("\" x2=\"").Append(F(Left + plotWidth)).Append("\" y1=\"").Append(F(Y(bytes))).Append("\" y2=\"").Append(F(Y(bytes)))
              .Append("\" stroke=\"").Append(colour).Append("\" stroke-dasharray=\"4 3\"/>\n");
            sb.Append("<text x=\"").Append(F(Left + plotWidth)).Append("\" y=\"").Append(F(Y(bytes) - 3)).Append("\" text-anchor=\"end\" fill=\"").Append(colour).Append("\">")
              .Append(label).Append(' ').Append(N(bytes)).Append(" B</text>\n");
        }
        HLine(report.ArenaBytes, "#c0392b", "arena");
        if (report.ArenaLowerBound != report.ArenaBytes) HLine(report.ArenaLowerBound, "#27ae60", "lower bound");
        // Axes and labels.
        sb.Append("<line x1=\"").Append(Left).Append("\" y1=\"").Append(Top).Append("\" x2=\"").Append(Left).Append("\" y2=\"").Append(Top + PlotHeight).Append("\" stroke=\"black\"/>\n");
        sb.Append("<line x1=\"").Append(Left).Append("\" y1=\"").Append(Top + PlotHeight).Append("\" x2=\"").Append(F(Left + plotWidth)).Append("\" y2=\"").Append(Top + PlotHeight).Append("\" stroke=\"black\"/>\n");
        sb.Append("<text x=\"").Append(Left - 4).Append("\" y=\"").Append(Top + 4).Append("\" text-anchor=\"end\">").Append(N(max)).Append(" B</text>\n");
        sb.Append("<text x=\"").Append(Left - 4).Append("\" y=\"").Append(Top + PlotHeight).Append("\" text-anchor=\"end\">0</text>\n");
        sb.Append("<text x=\"").Append(F(Left + plotWidth / 2)).Append("\" y=\"").Append(F(height - 10)).Append("\" text-anchor=\"middle\">layer (")
          .Append(steps.ToString(CultureInfo.InvariantCulture)).Append(" steps); bars: bytes alive, line: highest byte in use</text>\n");
        sb.Append("</svg>\n");
        return sb.ToString();
    }
}
