from dspex_compat._knn import KNN
