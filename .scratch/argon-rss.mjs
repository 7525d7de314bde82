import { hash, verify } from '@node-rs/argon2'
const params = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 }
const h = await hash('pw', params)
const start = Date.now()
let n = 0
const timer = setInterval(() => { n++; (n % 2 ? verify(h, 'pw', params) : hash('pw' + n, params)).catch(() => {}) }, 1000 / 6)
const sample = setInterval(() => console.log(`${process.env.LABEL} t=${Math.round((Date.now() - start) / 1000)}s rss=${Math.round(process.memoryUsage().rss / 1048576)}MB`), 20000)
setTimeout(() => { clearInterval(timer); clearInterval(sample); setTimeout(() => process.exit(0), 500) }, 200000)
