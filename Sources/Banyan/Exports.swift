@_exported import BanyanWeights
@_exported import BanyanKernels
@_exported import BanyanTokenizer
@_exported import BanyanModel
