% Writes the SVHN MAT fixtures from the raw bytes TestGenerateFixtures puts
% in svhn_src/ (X column-major 32x32x3xN uint8, y one byte per image).
%   train_32x32.mat: -v7 (zlib-compressed elements), y stored as double
%   test_32x32.mat:  -v6 (uncompressed),             y stored as uint8
%   one_v6.mat, one_v7.mat: a single image (X saved as 32x32x3), fuzz seeds
% Run from data/testdata:  octave-cli gen_mat.m
function gen_mat()
  [X, y] = readraw('train', 40);
  y = double(y);
  save('-v7', 'svhn/train_32x32.mat', 'X', 'y');
  [X, y] = readraw('test', 20);
  save('-v6', 'svhn/test_32x32.mat', 'X', 'y');
  X = X(:, :, :, 1);
  y = y(1);
  save('-v6', 'svhn/one_v6.mat', 'X', 'y');
  y = double(y);
  save('-v7', 'svhn/one_v7.mat', 'X', 'y');
end

function [X, y] = readraw(split, n)
  f = fopen(['svhn_src/' split '_X.raw'], 'r');
  X = reshape(uint8(fread(f, Inf, 'uint8=>uint8')), 32, 32, 3, n);
  fclose(f);
  f = fopen(['svhn_src/' split '_y.raw'], 'r');
  y = uint8(fread(f, Inf, 'uint8=>uint8'));
  fclose(f);
end
