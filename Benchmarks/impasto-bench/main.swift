import ImpastoTensor
print("impasto-bench")
