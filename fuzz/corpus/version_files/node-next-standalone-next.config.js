/** @type {import('next').NextConfig} */
const nextConfig = {
  // output: 'export',
  output: 'standalone',
  reactStrictMode: true,
};

module.exports = nextConfig;
