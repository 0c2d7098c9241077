@_exported import BanyanWeights
@_exported import BanyanKernels
@_exported import BanyanTokenizer
@_exported import BanyanKV
@_exported import BanyanModel
@_exported import BanyanGeneration
@_exported import BanyanSearch
