using EfficientAI.Codegen.Ir;
using Xunit;

namespace EfficientAI.Codegen.Tests;

/// <summary>Compile-time tensor accessors on the unsigned types the CLR lets pass as their signed twins (byte[] is sbyte[]).</summary>
public class TensorTests
{
    [Theory]
    [InlineData((int)DataType.UInt8, 200L)]
    [InlineData((int)DataType.UInt16, 60000L)]
    [InlineData((int)DataType.UInt32, 4000000000L)]
    [InlineData((int)DataType.Int8, -100L)]
    [InlineData((int)DataType.Int16, -30000L)]
    [InlineData((int)DataType.Int32, -2000000000L)]
    public void IntegersRoundTripWithTheirSign(int type, long value)
    {
        var t = Tensor.Create((DataType)type, new[] { 2 });
        t.SetLong(0, value);
        t.Set(1, value);
        Assert.Equal(value, t.GetLong(0));
        Assert.Equal(value, t.GetLong(1));
        Assert.Equal(value, t.GetDouble(0));
    }

    [Fact]
    public void UInt64AboveInt64MaxReadsAsItsValue()
    {
        var t = Tensor.Create(DataType.UInt64, new[] { 1 });
        t.Set(0, 1.5e19);
        Assert.Equal(15000000000000000000UL, ((ulong[])t.Data)[0]);
        Assert.Equal(1.5e19, t.GetDouble(0));
    }
}
